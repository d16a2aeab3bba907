/* SPDX-License-Identifier: GPL-2.0 */
/* Reading and writing image records on the session's file, in one pass. */
#ifndef CPT_IMAGE_H
#define CPT_IMAGE_H

#include <linux/fs.h>
#include <linux/types.h>
#include <linux/cpt.h>

struct cpt_auth;
struct page;

/* The most a protobuf record may claim, so a hostile length can't exhaust memory. */
#define CPT_RECORD_MAX_MESSAGE (16U << 20)
/* The most pages one CPT_REC_PAGES record carries. */
#define CPT_RECORD_MAX_PAGES 1024U

struct cpt_image {
	struct file *file;
	u64 bytes;	/* image bytes written or read so far */
	u64 records;
	struct cpt_auth *auth;	/* tags each record while a key is loaded; or NULL */
};

/* A record being written or read piecewise (pages). */
struct cpt_record_io {
	struct cpt_image *img;
	u64 remaining;
	u32 crc;
};

int cpt_image_write(struct cpt_image *img, const void *buf, size_t len);
int cpt_image_read(struct cpt_image *img, void *buf, size_t len);

int cpt_record_write_begin(struct cpt_image *img, struct cpt_record_io *io,
			   u16 type, u64 length);
int cpt_record_write_data(struct cpt_record_io *io, const void *buf, size_t len);
int cpt_record_write_end(struct cpt_record_io *io);
int cpt_record_write(struct cpt_image *img, u16 type, const void *payload,
		     size_t len);
int cpt_record_write_pages(struct cpt_record_io *io, struct page **pages,
			   unsigned int nr);

int cpt_record_read_begin(struct cpt_image *img, struct cpt_record_io *io,
			  u16 type, u64 max_length, u64 *length);
int cpt_record_read_data(struct cpt_record_io *io, void *buf, size_t len);
int cpt_record_read_end(struct cpt_record_io *io);
int cpt_record_read_pages(struct cpt_record_io *io, struct page **pages,
			  unsigned int nr);
void *cpt_record_read(struct cpt_image *img, u16 type, size_t *len);

#endif /* CPT_IMAGE_H */
