// SPDX-License-Identifier: GPL-2.0
/*
 * Image records: header, payload, CRC32C of both. The image is written and
 * read in one pass, so it may be a file, a pipe or a socket.
 */
#include <linux/crc32.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "cpt_image.h"

static loff_t *cpt_file_pos(struct file *file)
{
	return (file->f_mode & FMODE_STREAM) ? NULL : &file->f_pos;
}

int cpt_image_write(struct cpt_image *img, const void *buf, size_t len)
{
	while (len) {
		ssize_t n = kernel_write(img->file, buf, len, cpt_file_pos(img->file));

		if (n < 0)
			return n;
		if (n == 0)
			return -EIO;
		if (fatal_signal_pending(current))
			return -EINTR;
		buf += n;
		len -= n;
		img->bytes += n;
	}
	return 0;
}

int cpt_image_read(struct cpt_image *img, void *buf, size_t len)
{
	while (len) {
		ssize_t n = kernel_read(img->file, buf, len, cpt_file_pos(img->file));

		if (n < 0)
			return n;
		if (n == 0)
			return -ENODATA; /* the image ends early */
		if (fatal_signal_pending(current))
			return -EINTR;
		buf += n;
		len -= n;
		img->bytes += n;
	}
	return 0;
}

int cpt_record_write_begin(struct cpt_image *img, struct cpt_record_io *io,
			   u16 type, u64 length)
{
	struct cpt_record_header hdr = {
		.magic = CPT_RECORD_MAGIC,
		.type = type,
		.length = length,
	};

	io->img = img;
	io->remaining = length;
	io->crc = __crc32c_le(~0U, (const u8 *)&hdr, sizeof(hdr));
	return cpt_image_write(img, &hdr, sizeof(hdr));
}

int cpt_record_write_data(struct cpt_record_io *io, const void *buf, size_t len)
{
	if (len > io->remaining)
		return -EOVERFLOW;
	io->remaining -= len;
	io->crc = __crc32c_le(io->crc, buf, len);
	return cpt_image_write(io->img, buf, len);
}

int cpt_record_write_end(struct cpt_record_io *io)
{
	__le32 crc = cpu_to_le32(~io->crc);
	int ret;

	if (WARN_ON_ONCE(io->remaining))
		return -EIO;
	ret = cpt_image_write(io->img, &crc, sizeof(crc));
	if (!ret)
		io->img->records++;
	return ret;
}

int cpt_record_write(struct cpt_image *img, u16 type, const void *payload,
		     size_t len)
{
	struct cpt_record_io io;
	int ret;

	ret = cpt_record_write_begin(img, &io, type, len);
	if (!ret)
		ret = cpt_record_write_data(&io, payload, len);
	if (!ret)
		ret = cpt_record_write_end(&io);
	return ret;
}

/*
 * Reads a record's header and checks it is of the expected type, with a
 * length no more than max_length. Anything else is a malformed image.
 */
int cpt_record_read_begin(struct cpt_image *img, struct cpt_record_io *io,
			  u16 type, u64 max_length, u64 *length)
{
	struct cpt_record_header hdr;
	int ret;

	ret = cpt_image_read(img, &hdr, sizeof(hdr));
	if (ret)
		return ret;
	if (hdr.magic != CPT_RECORD_MAGIC || hdr.flags) {
		pr_info_ratelimited("image record %llu: bad magic or flags\n", img->records);
		return -EBADMSG;
	}
	if (hdr.type != type) {
		pr_info_ratelimited("image record %llu: type %u where %u was due\n",
				    img->records, hdr.type, type);
		return -EBADMSG;
	}
	if (hdr.length > max_length) {
		pr_info_ratelimited("image record %llu (type %u): length %llu exceeds %llu\n",
				    img->records, type, hdr.length, max_length);
		return -EBADMSG;
	}
	io->img = img;
	io->remaining = hdr.length;
	io->crc = __crc32c_le(~0U, (const u8 *)&hdr, sizeof(hdr));
	*length = hdr.length;
	return 0;
}

int cpt_record_read_data(struct cpt_record_io *io, void *buf, size_t len)
{
	int ret;

	if (len > io->remaining)
		return -EBADMSG;
	ret = cpt_image_read(io->img, buf, len);
	if (ret)
		return ret;
	io->remaining -= len;
	io->crc = __crc32c_le(io->crc, buf, len);
	return 0;
}

int cpt_record_read_end(struct cpt_record_io *io)
{
	__le32 crc;
	int ret;

	if (io->remaining)
		return -EBADMSG;
	ret = cpt_image_read(io->img, &crc, sizeof(crc));
	if (ret)
		return ret;
	if (le32_to_cpu(crc) != ~io->crc) {
		pr_info_ratelimited("image record %llu: CRC mismatch\n", io->img->records);
		return -EBADMSG;
	}
	io->img->records++;
	return 0;
}

/* Reads a whole message record into a kvmalloc'ed buffer, or an ERR_PTR. */
void *cpt_record_read(struct cpt_image *img, u16 type, size_t *len)
{
	struct cpt_record_io io;
	u64 length;
	void *buf;
	int ret;

	ret = cpt_record_read_begin(img, &io, type, CPT_RECORD_MAX_MESSAGE, &length);
	if (ret)
		return ERR_PTR(ret);
	buf = kvmalloc(length ?: 1, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	ret = cpt_record_read_data(&io, buf, length);
	if (!ret)
		ret = cpt_record_read_end(&io);
	if (ret) {
		kvfree(buf);
		return ERR_PTR(ret);
	}
	*len = length;
	return buf;
}
