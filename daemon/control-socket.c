/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "bus.h"
#include "control-socket.h"
#include "log.h"
#include "manager.h"

/* Connections open at once: any user may connect, so an unprivileged user
 * gets a few and all of them together a bounded number, and root always
 * gets through, so nobody can lock the administrator out. */
#define PEERS_PER_USER 16
#define PEERS_MAX      128

struct peer {
        struct peer *next, *prev;
        struct control_socket *cs;
        sd_bus *bus;
        uid_t uid;
        bool fresh;             /* not yet processed once after authenticating */
};

static void peer_free(struct peer *p) {
        struct control_socket *cs = p->cs;

        if (p->prev)
                p->prev->next = p->next;
        else
                cs->peers = p->next;
        if (p->next)
                p->next->prev = p->prev;
        cs->n_peers--;
        /* sd-bus holds its own reference while it dispatches, so this is
         * safe from within the peer's own callbacks. */
        (void) sd_bus_detach_event(p->bus);
        sd_bus_flush_close_unref(p->bus);
        free(p);
}

static int on_peer_disconnected(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        (void) msg;
        (void) error;
        peer_free(userdata);
        return 0;
}

/* sd-bus reads a new client's first bytes in large chunks while it
 * authenticates, so a call sent together with BEGIN lands in its buffer,
 * and nothing wakes the connection for it: the client waits for a reply
 * forever. Once a new peer is authenticated, process it once more; the
 * source is on while some new peer has not got that far. */
static int on_post_auth(sd_event_source *s, void *userdata) {
        struct control_socket *cs = userdata;

        for (;;) {
                struct peer *p;
                bool waiting = false;
                sd_bus *bus;

                for (p = cs->peers; p; p = p->next) {
                        if (!p->fresh)
                                continue;
                        if (sd_bus_is_ready(p->bus) > 0)
                                break;
                        waiting = true;
                }
                if (!p) {
                        if (!waiting)
                                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
                        return 0;
                }
                p->fresh = false;
                /* A call may end the peer (its Disconnected): hold the bus. */
                bus = sd_bus_ref(p->bus);
                while (sd_bus_process(bus, NULL) > 0)
                        ;
                sd_bus_unref(bus);
        }
}

static int peer_start(struct control_socket *cs, int fd, uid_t uid) {
        struct peer *p = calloc(1, sizeof *p);
        sd_id128_t id;
        int r;

        if (!p) {
                close(fd);
                return -ENOMEM;
        }
        p->cs = cs;
        p->uid = uid;
        r = sd_bus_new(&p->bus);
        if (r < 0) {
                close(fd);
                free(p);
                return r;
        }
        p->next = cs->peers;
        if (cs->peers)
                cs->peers->prev = p;
        cs->peers = p;
        cs->n_peers++;

        r = sd_bus_set_fd(p->bus, fd, fd);
        if (r < 0) {
                close(fd);
                goto fail;
        }
        r = sd_id128_randomize(&id);
        if (r >= 0)
                r = sd_bus_set_server(p->bus, 1, id);
        if (r >= 0)
                r = bus_add_daemon_object(p->bus, cs->manager);
        if (r >= 0)
                r = sd_bus_match_signal(p->bus, NULL, "org.freedesktop.DBus.Local", "/org/freedesktop/DBus/Local",
                                        "org.freedesktop.DBus.Local", "Disconnected", on_peer_disconnected, p);
        if (r >= 0)
                r = sd_bus_attach_event(p->bus, cs->manager->event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_bus_start(p->bus);
        if (r >= 0)
                r = sd_event_source_set_enabled(cs->post_auth, SD_EVENT_ON);
        if (r < 0)
                goto fail;
        p->fresh = true;
        return 0;
fail:
        peer_free(p);
        return r;
}

/* Whether one more connection of uid fits; says why not in *why. */
static bool peer_admissible(const struct control_socket *cs, uid_t uid, const char **why) {
        unsigned mine = 0, others = 0;

        if (uid == 0)
                return true;
        for (const struct peer *p = cs->peers; p; p = p->next) {
                mine += p->uid == uid;
                others += p->uid != 0;
        }
        if (mine >= PEERS_PER_USER)
                *why = "too many connections from this user";
        else if (others >= PEERS_MAX)
                *why = "too many connections from unprivileged users";
        else
                return true;
        return false;
}

static int on_accept(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct control_socket *cs = userdata;
        struct ucred cred = {};
        socklen_t len = sizeof cred;
        const char *why;
        int cfd, r;

        (void) s;
        (void) revents;
        cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
                if (errno != EAGAIN && errno != EINTR)
                        log_warning_errno(-errno, "Failed to accept a control connection, ignoring: %m");
                return 0;
        }
        if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                log_warning_errno(-errno, "Cannot learn who connected to the control socket, closing: %m");
                close(cfd);
                return 0;
        }
        if (!peer_admissible(cs, cred.uid, &why)) {
                /* The first and every 100th: a flood must not flood the log. */
                if (cs->n_refused++ % 100 == 0)
                        log_warning("Refusing a control connection from uid %u (pid %d): %s (%u refused so far).",
                                    (unsigned) cred.uid, (int) cred.pid, why, cs->n_refused);
                close(cfd);
                return 0;
        }
        r = peer_start(cs, cfd, cred.uid);
        if (r < 0)
                log_warning_errno(r, "Failed to set up a control connection, ignoring: %m");
        return 0;
}

int control_socket_listen(struct control_socket *cs, struct manager *m, const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int r;

        *cs = (struct control_socket) { .manager = m, .fd = -1 };
        if (strlen(path) >= sizeof sa.sun_path)
                return log_error_errno(-ENAMETOOLONG, "Control socket path %s: %m", path);
        strcpy(sa.sun_path, path);
        cs->path = strdup(path);
        if (!cs->path)
                return log_oom();
        cs->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (cs->fd < 0)
                return log_error_errno(-errno, "Failed to create the control socket: %m");
        /* A socket left by a killed daemon is stale: nobody listens on it. */
        if (unlink(path) < 0 && errno != ENOENT)
                return log_error_errno(-errno, "Cannot remove stale control socket %s: %m", path);
        if (bind(cs->fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return log_error_errno(-errno, "Cannot bind control socket %s: %m", path);
        /* Everyone may connect; each call is authorized on its own. */
        if (chmod(path, 0666) < 0)
                return log_error_errno(-errno, "Cannot open up control socket %s: %m", path);
        if (listen(cs->fd, SOMAXCONN) < 0)
                return log_error_errno(-errno, "Cannot listen on control socket %s: %m", path);
        r = sd_event_add_io(m->event, &cs->accept_source, cs->fd, EPOLLIN, on_accept, cs);
        if (r >= 0)
                r = sd_event_add_post(m->event, &cs->post_auth, on_post_auth, cs);
        if (r >= 0)
                r = sd_event_source_set_enabled(cs->post_auth, SD_EVENT_OFF);
        if (r < 0)
                return log_error_errno(r, "Failed to watch control socket %s: %m", path);
        return 0;
}

void control_socket_close(struct control_socket *cs) {
        while (cs->peers)
                peer_free(cs->peers);
        cs->accept_source = sd_event_source_unref(cs->accept_source);
        cs->post_auth = sd_event_source_unref(cs->post_auth);
        if (cs->fd >= 0) {
                close(cs->fd);
                (void) unlink(cs->path);
        }
        cs->fd = -1;
        free(cs->path);
        cs->path = NULL;
}

void control_socket_foreach(struct control_socket *cs, void (*f)(sd_bus *bus)) {
        for (struct peer *p = cs->peers; p; p = p->next)
                f(p->bus);
}
