/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The kvmtuned plugin ABI.
 *
 * A plugin is a shared object <name>.so that exports one const descriptor,
 * `kvmtuned_plugin`, whose first field is KT_PLUGIN_ABI. Plugins decide, the
 * core acts: a plugin never opens a host file or calls libvirt itself. It
 * reads the host through kt_read() and friends and asks for changes with
 * kt_set(), kt_hold() and kt_pin_*(). The core records every original value
 * in its journal before it writes, so rollback, crash recovery, diff and
 * verify work the same for every plugin.
 *
 * apply() and apply_device() run while a profile is being *planned*: their
 * kt_set() calls are collected, nothing is written, and any error refuses
 * the whole profile with the host untouched. on_sample(), on_device() and
 * on_domain() run *live*: their kt_set() calls take effect at once, still
 * through the journal.
 *
 * Every function returning int returns 0 or a negative errno.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KT_PLUGIN_ABI    1u
#define KT_PLUGIN_SYMBOL "kvmtuned_plugin"

#define KT_EXPORT __attribute__((visibility("default")))

struct kt_ctx;          /* one plugin instance: its section, state and host access */
struct kt_section;      /* one validated profile section */
struct kt_status;       /* status lines being collected */

/* ---- options: the keys a section accepts (unknown keys are errors) ---- */

enum kt_opt_type {
        KT_OPT_STRING,
        KT_OPT_INT,     /* min..max */
        KT_OPT_BOOL,    /* 1/0, true/false, yes/no, on/off */
        KT_OPT_ENUM,    /* one of choices, "a|b|c" */
        KT_OPT_LIST,    /* words separated by commas or blanks */
};

struct kt_option {
        const char *name;       /* NULL ends the table; "*" accepts any key */
        enum kt_opt_type type;
        const char *choices;    /* KT_OPT_ENUM */
        long long min, max;     /* KT_OPT_INT */
        const char *def;        /* default as text, NULL for none */
        const char *help;       /* one line, shown by `kvmtuned-adm info` */
        const void *data;       /* the plugin's own, e.g. the file the key sets */
};

/* ---- what plugins are told about ---- */

/* A device of the plugin's subsystem. Host paths are as on a real host
 * (/sys/...); the core adds --root. */
struct kt_device {
        const char *subsystem;  /* "block", "net", "cpu" */
        const char *name;       /* "sda", "eth0", "cpu3" */
        const char *syspath;    /* "/sys/block/sda", "/sys/class/net/eth0", ... */
};

enum kt_device_action {
        KT_DEVICE_ADD,
        KT_DEVICE_REMOVE,
};

struct kt_nic_stat {
        char name[32];
        double rx_bytes_per_s, tx_bytes_per_s;
        double rx_packets_per_s, tx_packets_per_s;
};

struct kt_disk_stat {
        char name[32];
        double iops;                    /* reads + writes completed per second */
        double write_bytes_per_s;
};

struct kt_mem_stat {
        uint64_t total_kib, free_kib, available_kib, buffers_kib, cached_kib;
};

struct kt_ksm_stat {
        bool present;
        uint64_t run, pages_to_scan, sleep_millisecs;
        uint64_t pages_shared, pages_sharing, pages_unshared, full_scans;
};

/* One sampling period. Arrays stay valid only during on_sample(). */
struct kt_sample {
        uint64_t seq;                   /* 1 for the first complete sample */
        uint32_t interval_ms;
        double busy;                    /* all CPUs, 0..1 */
        unsigned n_cpus;
        const double *cpu_busy;         /* indexed by CPU number, 0..1; <0 if offline */
        unsigned n_nics;
        const struct kt_nic_stat *nics;
        unsigned n_disks;
        const struct kt_disk_stat *disks;
        struct kt_mem_stat mem;
        struct kt_ksm_stat ksm;
        uint64_t committed_kib;         /* memory of running domains / qemu RSS */
};

/* A libvirt domain as the core sees it. */
struct kt_domain {
        const char *name;
        const char *uuid;               /* canonical text form */
        int id;
        unsigned n_vcpus;
        uint64_t memory_kib;
        const char *policy;             /* per-domain override from its metadata, or NULL */
};

enum kt_domain_event {
        KT_DOMAIN_STARTED,
        KT_DOMAIN_STOPPED,
};

/* ---- the descriptor ---- */

enum kt_probe_result {
        KT_PROBE_SUPPORTED = 0,
        KT_PROBE_UNSUPPORTED = 1,       /* e.g. no cpufreq inside a VM: skipped with a notice */
};

struct kt_plugin {
        uint32_t abi;                   /* KT_PLUGIN_ABI, checked before anything else */
        const char *name;               /* its profile section: [cpu], [cpu:fast] */
        const char *summary;
        const struct kt_option *options;
        const char *subsystem;          /* per-device plugin: "block", "net", "cpu"; else NULL.
                                         * The core adds a `devices=` glob list and calls
                                         * apply_device() for each matching device. */
        size_t priv_size;               /* zeroed per-instance state, see kt_priv() */

        /* Whether the plugin can work on this host; may set a reason. */
        int (*probe)(struct kt_ctx *ctx);

        int (*apply)(struct kt_ctx *ctx, const struct kt_section *sec);
        int (*apply_device)(struct kt_ctx *ctx, const struct kt_section *sec, const struct kt_device *dev);

        void (*on_sample)(struct kt_ctx *ctx, const struct kt_sample *sample);
        void (*on_domain)(struct kt_ctx *ctx, const struct kt_domain *dom, enum kt_domain_event event);
        void (*status)(struct kt_ctx *ctx, struct kt_status *st);

        /* Free private state. Never writes: the core restores the host. */
        void (*release)(struct kt_ctx *ctx);
};

/* ---- host API, implemented by the daemon ---- */

/* Read a host file, trailing newline removed. For bracketed choice files
 * ("always [madvise] never") kt_read() gives the selected word, and
 * kt_read_raw() the whole line. */
int kt_read(struct kt_ctx *ctx, const char *path, char *buf, size_t size);
int kt_read_raw(struct kt_ctx *ctx, const char *path, char *buf, size_t size);
bool kt_exists(struct kt_ctx *ctx, const char *path);

/* Ask for path to hold value while the profile is active. */
int kt_set(struct kt_ctx *ctx, const char *path, const char *value);

/* Like kt_set(), for a value a dynamic rule moves: verify accepts anything in
 * accept, either "MIN-MAX" (integers) or "a|b|c" (words). */
int kt_set_dynamic(struct kt_ctx *ctx, const char *path, const char *value, const char *accept);

/* Ask for a NIC offload (gro, gso, tso, lro) to be on or off while the
 * profile is active; journaled like a file. */
int kt_set_offload(struct kt_ctx *ctx, const char *ifname, const char *feature, bool on);

/* Keep path open with a 32-bit value written to it while the profile is
 * active (/dev/cpu_dma_latency); closing it is what restores. */
int kt_hold(struct kt_ctx *ctx, const char *path, int32_t value);

/* Refuse the profile because of one key: logs file:line with the message. */
int kt_reject(struct kt_ctx *ctx, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Probe: explain why the plugin is unsupported here; returns KT_PROBE_UNSUPPORTED. */
int kt_unsupported(struct kt_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

enum kt_log_level {
        KT_LOG_ERR = 3,
        KT_LOG_WARNING = 4,
        KT_LOG_NOTICE = 5,
        KT_LOG_INFO = 6,
        KT_LOG_DEBUG = 7,
};
void kt_log(struct kt_ctx *ctx, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Add one `key: value` line to `kvmtuned-adm status`. */
void kt_status_add(struct kt_status *st, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

void *kt_priv(struct kt_ctx *ctx);
const struct kt_section *kt_section(struct kt_ctx *ctx);
const char *kt_instance_name(struct kt_ctx *ctx);

/* CPUs currently online, ascending; returns how many (at most max). */
unsigned kt_online_cpus(struct kt_ctx *ctx, unsigned *cpus, unsigned max);

/* ---- section access; values were validated against the option table ---- */

/* The value of key, else the option's default, else NULL. */
const char *kt_get(const struct kt_section *sec, const char *key);
long long kt_get_int(const struct kt_section *sec, const char *key, long long fallback);
bool kt_get_bool(const struct kt_section *sec, const char *key, bool fallback);
/* Whether the profile itself sets key (defaults do not count). */
bool kt_has(const struct kt_section *sec, const char *key);

/* Keys as written in the profile, in order (for "*" plugins like sysctl). */
size_t kt_section_size(const struct kt_section *sec);
const char *kt_section_key(const struct kt_section *sec, size_t i);
const char *kt_section_value(const struct kt_section *sec, size_t i);

/* ---- small pure helpers plugins share ---- */

/* Whether word is one of the choices in a list such as "always [madvise] never"
 * or "performance powersave". */
bool kt_word_in_list(const char *list, const char *word);

/* The first of wanted ("schedutil|ondemand") that list offers, copied into
 * buf; NULL when none is. */
const char *kt_first_available(const char *wanted, const char *list, char *buf, size_t size);
