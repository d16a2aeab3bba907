/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Authenticated images (cpt_auth.c): while an image key is loaded, each
 * record the module writes or reads is tagged with HMAC-SHA256 under it;
 * the trailer carries the tags and an HMAC of them all.
 */
#ifndef CPT_AUTH_H
#define CPT_AUTH_H

#include <linux/types.h>
#include <linux/cpt.h>

struct cpt_auth;
struct cpt_pb_buf;
struct cpt_session;
struct cpt_file;
union cpt_ioctl_arg;

/* The image's hooks: a record's header, its data, its CRC (each a no-op for a NULL auth). */
void cpt_auth_record_begin(struct cpt_auth *a, const struct cpt_record_header *hdr);
void cpt_auth_record_data(struct cpt_auth *a, const void *buf, size_t len);
int cpt_auth_record_end(struct cpt_auth *a, const __le32 *crc);

/* A session's authentication, from INIT on: s->img.auth, NULL without a key. */
int cpt_auth_start(struct cpt_session *s, bool allow_unauthenticated);
void cpt_auth_free(struct cpt_auth *a);
/* Checkpoint: the trailer's authentication fields. */
int cpt_auth_trailer(struct cpt_auth *a, struct cpt_pb_buf *msg);
/* Restart: reads the trailer and checks every record's tag against it. */
int cpt_auth_verify(struct cpt_session *s);

long cpt_ioctl_key(struct cpt_file *cf, union cpt_ioctl_arg *arg);
void cpt_auth_exit(void);

#endif /* CPT_AUTH_H */
