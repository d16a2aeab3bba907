/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The little of Protocol Buffers the image needs: varints, fixed64 and
 * length-delimited fields, written and read against proto/cpt.proto.
 */
#ifndef CPT_PB_H
#define CPT_PB_H

#include <linux/types.h>

#define CPT_PB_VARINT 0
#define CPT_PB_FIXED64 1
#define CPT_PB_BYTES 2
#define CPT_PB_FIXED32 5

/* A message being encoded; the first failure sticks in err. */
struct cpt_pb_buf {
	u8 *data;
	size_t len;
	size_t cap;
	int err;
};

void cpt_pb_init(struct cpt_pb_buf *b);
void cpt_pb_free(struct cpt_pb_buf *b);
void cpt_pb_varint(struct cpt_pb_buf *b, u32 field, u64 value);
void cpt_pb_bytes(struct cpt_pb_buf *b, u32 field, const void *data, size_t len);
void cpt_pb_string(struct cpt_pb_buf *b, u32 field, const char *s);
void cpt_pb_message(struct cpt_pb_buf *b, u32 field, struct cpt_pb_buf *msg);

/* Proto3 leaves zero scalars out; so do we, except in repeated fields. */
static inline void cpt_pb_u64(struct cpt_pb_buf *b, u32 field, u64 value)
{
	if (value)
		cpt_pb_varint(b, field, value);
}

struct cpt_pb_reader {
	const u8 *p;
	const u8 *end;
};

struct cpt_pb_field {
	u32 num;
	u32 wire;
	u64 value;		/* varint and fixed */
	const u8 *data;		/* bytes */
	size_t len;
};

static inline void cpt_pb_reader_init(struct cpt_pb_reader *r, const void *data,
				      size_t len)
{
	r->p = data;
	r->end = r->p + len;
}

int cpt_pb_next(struct cpt_pb_reader *r, struct cpt_pb_field *f);
int cpt_pb_get_u64(const struct cpt_pb_field *f, u64 *out);
int cpt_pb_get_u32(const struct cpt_pb_field *f, u32 *out);
int cpt_pb_get_bool(const struct cpt_pb_field *f, bool *out);
int cpt_pb_get_string(const struct cpt_pb_field *f, char *buf, size_t size);
int cpt_pb_get_message(const struct cpt_pb_field *f, struct cpt_pb_reader *sub);

#endif /* CPT_PB_H */
