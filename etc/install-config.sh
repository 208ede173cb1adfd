#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Install the example configuration only where there is none yet: the file
# is the administrator's once it exists.
#   install-config.sh SOURCE DEST   (DEST absolute; DESTDIR honoured)
set -eu
dest="${DESTDIR:-}$2"
if [ -e "$dest" ]; then
        echo "Keeping existing $dest"
        exit 0
fi
install -D -m 0644 "$1" "$dest"
echo "Installing $1 to $dest"
