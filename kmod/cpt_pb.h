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
/* Appends fields, already encoded (and frees them). */
void cpt_pb_raw(struct cpt_pb_buf *b, struct cpt_pb_buf *fields);

/* Proto3 leaves zero scalars out; so do we, except in repeated fields. */
static inline void cpt_pb_u64(struct cpt_pb_buf *b, u32 field, u64 value)
{
	if (value)
		cpt_pb_varint(b, field, value);
}

/*
 * A message being decoded. The first failure sticks in err and ends the
 * walk: a malformed field, a wire type or value a getter refuses, or the
 * caller's own reason given to cpt_pb_fail(). The reader owns nothing, so
 * a caller may return from inside the walk.
 */
struct cpt_pb_reader {
	const u8 *p;
	const u8 *end;
	int err;
};

struct cpt_pb_field {
	u32 num;
	u32 wire;
	u64 value;		/* varint and fixed */
	const u8 *data;		/* bytes; NULL for the other wire types */
	size_t len;
};

static inline void cpt_pb_reader_init(struct cpt_pb_reader *r, const void *data,
				      size_t len)
{
	r->p = data;
	r->end = r->p + len;
	r->err = 0;
}

struct cpt_pb_reader *cpt_pb_reader_init_field(struct cpt_pb_reader *r,
					       const struct cpt_pb_field *f);
bool cpt_pb_next_field(struct cpt_pb_reader *r, struct cpt_pb_field *f);

/* Initialises r and gives it back, so that the loops below evaluate r once. */
static inline struct cpt_pb_reader *cpt_pb_reader_start(struct cpt_pb_reader *r,
							const void *data, size_t len)
{
	cpt_pb_reader_init(r, data, len);
	return r;
}

/* Ends the walk with err (if nothing failed before); 0 changes nothing. */
static inline void cpt_pb_fail(struct cpt_pb_reader *r, int err)
{
	if (!r->err)
		r->err = err;
}

/* After a walk: its first error, or 0 if every field was read and taken. */
static inline int cpt_pb_end(const struct cpt_pb_reader *r)
{
	return r->err;
}

/*
 * Each field of the message data[0..len), into f, until its end or the
 * first error; cpt_pb_end(r) tells which.
 */
#define cpt_pb_for_each_field(r, data, len, f)				\
	for (struct cpt_pb_reader *__pb_r = cpt_pb_reader_start(r, data, len); \
	     cpt_pb_next_field(__pb_r, f);)

/* The same for the message that the field msg holds (an error if it holds none). */
#define cpt_pb_for_each_subfield(r, msg, f)				\
	for (struct cpt_pb_reader *__pb_r = cpt_pb_reader_init_field(r, msg); \
	     cpt_pb_next_field(__pb_r, f);)

/*
 * Typed getters for a walk: false, with -EBADMSG in r, if the field is not
 * of the type asked or its value does not fit; out is then left alone.
 */
bool cpt_pb_read_u64(struct cpt_pb_reader *r, const struct cpt_pb_field *f, u64 *out);
bool cpt_pb_read_u32(struct cpt_pb_reader *r, const struct cpt_pb_field *f, u32 *out);
bool cpt_pb_read_bool(struct cpt_pb_reader *r, const struct cpt_pb_field *f, bool *out);
bool cpt_pb_read_string(struct cpt_pb_reader *r, const struct cpt_pb_field *f, char *buf,
			size_t size);
bool cpt_pb_read_bytes(struct cpt_pb_reader *r, const struct cpt_pb_field *f,
		       const u8 **data, size_t *len);

/*
 * The same for one field out of a walk (a file kind's decode hook): 0 or
 * -EBADMSG.
 */
int cpt_pb_get_u64(const struct cpt_pb_field *f, u64 *out);
int cpt_pb_get_u32(const struct cpt_pb_field *f, u32 *out);
int cpt_pb_get_bool(const struct cpt_pb_field *f, bool *out);
int cpt_pb_get_string(const struct cpt_pb_field *f, char *buf, size_t size);

/*
 * *slot, the state that several fields of a record decode into, allocated
 * (zeroed, charged to the restorer) by the first of them: NULL when out of
 * memory. Whoever owns *slot frees it.
 */
#define cpt_pb_state(slot)							\
	({									\
		typeof(slot) __slot = (slot);					\
										\
		if (!*__slot)							\
			*__slot = kzalloc(sizeof(**__slot), GFP_KERNEL_ACCOUNT);	\
		*__slot;							\
	})

#endif /* CPT_PB_H */
