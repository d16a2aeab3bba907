// SPDX-License-Identifier: GPL-2.0
/*
 * Image records: header, payload, CRC32C of both. The image is written and
 * read in one pass, so it may be a file, a pipe or a socket.
 */
#include <linux/bvec.h>
#include <linux/crc32.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "cpt_auth.h"
#include "cpt_image.h"
#include "cpt_internal.h"

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
	cpt_auth_record_begin(img->auth, &hdr);
	return cpt_image_write(img, &hdr, sizeof(hdr));
}

int cpt_record_write_data(struct cpt_record_io *io, const void *buf, size_t len)
{
	if (len > io->remaining)
		return -EOVERFLOW;
	io->remaining -= len;
	io->crc = __crc32c_le(io->crc, buf, len);
	cpt_auth_record_data(io->img->auth, buf, len);
	return cpt_image_write(io->img, buf, len);
}

int cpt_record_write_end(struct cpt_record_io *io)
{
	__le32 crc = cpu_to_le32(~io->crc);
	int ret;

	if (WARN_ON_ONCE(io->remaining))
		return -EIO;
	ret = cpt_auth_record_end(io->img->auth, &crc);
	if (!ret)
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
		cpt_note("image record %llu: bad magic or flags\n", img->records);
		return -EBADMSG;
	}
	if (hdr.type != type) {
		cpt_note("image record %llu: type %u where %u was due\n",
			 img->records, hdr.type, type);
		return -EBADMSG;
	}
	if (hdr.length > max_length) {
		cpt_note("image record %llu (type %u): length %llu exceeds %llu\n",
			 img->records, type, hdr.length, max_length);
		return -EBADMSG;
	}
	io->img = img;
	io->remaining = hdr.length;
	io->crc = __crc32c_le(~0U, (const u8 *)&hdr, sizeof(hdr));
	cpt_auth_record_begin(img->auth, &hdr);
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
	cpt_auth_record_data(io->img->auth, buf, len);
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
		cpt_note("image record %llu: CRC mismatch\n", io->img->records);
		return -EBADMSG;
	}
	ret = cpt_auth_record_end(io->img->auth, &crc);
	if (ret)
		return ret;
	io->img->records++;
	return 0;
}

/*
 * Whole pages of record data (CPT_REC_PAGES), moved between the image and
 * the page frames themselves: no bounce buffer, and one vfs_iter_write()
 * or vfs_iter_read() for CPT_IMAGE_PAGE_BATCH pages. Added for cpt_mm.c.
 */
#define CPT_IMAGE_PAGE_BATCH 16U

static void cpt_record_crc_pages(struct cpt_record_io *io, struct page **pages,
				 unsigned int nr)
{
	unsigned int i;
	void *kaddr;

	for (i = 0; i < nr; i++) {
		kaddr = kmap_local_page(pages[i]);
		io->crc = __crc32c_le(io->crc, kaddr, PAGE_SIZE);
		cpt_auth_record_data(io->img->auth, kaddr, PAGE_SIZE);
		kunmap_local(kaddr);
	}
}

static void cpt_pages_to_bvec(struct bio_vec *bv, struct page **pages, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		bvec_set_page(&bv[i], pages[i], PAGE_SIZE, 0);
}

int cpt_record_write_pages(struct cpt_record_io *io, struct page **pages,
			   unsigned int nr)
{
	struct bio_vec bv[CPT_IMAGE_PAGE_BATCH];
	struct file *file = io->img->file;
	struct iov_iter iter;
	unsigned int n;
	ssize_t done;

	if ((u64)nr * PAGE_SIZE > io->remaining)
		return -EOVERFLOW;
	for (; nr; nr -= n, pages += n) {
		n = min(nr, CPT_IMAGE_PAGE_BATCH);
		cpt_record_crc_pages(io, pages, n);
		cpt_pages_to_bvec(bv, pages, n);
		iov_iter_bvec(&iter, ITER_SOURCE, bv, n, n * PAGE_SIZE);
		while (iov_iter_count(&iter)) {
			file_start_write(file);
			done = vfs_iter_write(file, &iter, cpt_file_pos(file), 0);
			file_end_write(file);
			if (done < 0)
				return done;
			if (done == 0)
				return -EIO;
			if (fatal_signal_pending(current))
				return -EINTR;
			io->img->bytes += done;
		}
		io->remaining -= n * PAGE_SIZE;
	}
	return 0;
}

int cpt_record_read_pages(struct cpt_record_io *io, struct page **pages,
			  unsigned int nr)
{
	struct bio_vec bv[CPT_IMAGE_PAGE_BATCH];
	struct file *file = io->img->file;
	struct iov_iter iter;
	unsigned int n;
	ssize_t done;

	if ((u64)nr * PAGE_SIZE > io->remaining)
		return -EBADMSG;
	for (; nr; nr -= n, pages += n) {
		n = min(nr, CPT_IMAGE_PAGE_BATCH);
		cpt_pages_to_bvec(bv, pages, n);
		iov_iter_bvec(&iter, ITER_DEST, bv, n, n * PAGE_SIZE);
		while (iov_iter_count(&iter)) {
			done = vfs_iter_read(file, &iter, cpt_file_pos(file), 0);
			if (done < 0)
				return done;
			if (done == 0)
				return -ENODATA; /* the image ends early */
			if (fatal_signal_pending(current))
				return -EINTR;
			io->img->bytes += done;
		}
		cpt_record_crc_pages(io, pages, n);
		io->remaining -= n * PAGE_SIZE;
	}
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
