// SPDX-License-Identifier: GPL-2.0
/*
 * Authenticated images. CPT_IOC_KEY loads an image key, which only the
 * kernel's HMAC-SHA256 transform keeps (the raw bytes are wiped once it has
 * them; the transform's memory is freed with kfree_sensitive()). While a
 * key is loaded, each session takes a reference to it at INIT:
 *
 *  - a checkpoint tags every record it writes, header to last PAGES, with
 *    HMAC(key, 'R' || record header || payload || CRC) cut to 16 bytes; its
 *    trailer carries the tags in order, the key's id, and
 *    HMAC(key, 'I' || number of tags || tags), which binds their order and
 *    number (a record dropped, added or moved changes it);
 *  - a restart tags every record it reads the same way and, before FINALIZE
 *    releases any restored task, reads the trailer and compares: the trailer's
 *    own HMAC first (the list is the key holder's), then each record's tag,
 *    so that a failure names the first record that differs.
 *
 * cptctl's manifest goes through the session too (CPT_IOC_USER_RECORD),
 * which writes or reads it at its place and tags it like the others: every
 * record before the trailer is covered, and a record's index counts them
 * all. The image's HMAC over the ordered list binds each record to its
 * place among exactly that image's records: one taken from another image
 * made under the same key (its tag not in this list), a list cut short or
 * another image's trailer (its tags not those of these records) all fail.
 * The tag of a record is taken only after its CRC checked: a record changed
 * with its CRC made right again is what the tags are for.
 */
#include <crypto/hash.h>
#include <crypto/sha2.h>
#include <crypto/algapi.h>
#include <linux/capability.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "cpt_auth.h"
#include "cpt_pb_fields.h"
#include "cpt_session.h"

#define CPT_AUTH_TAG_LEN 16
/* So that the trailer's tags stay well within a record's CPT_RECORD_MAX_MESSAGE. */
#define CPT_AUTH_MAX_RECORDS 524288U /* 2^19 */
/* Domain separation between a record's tag and the image's HMAC. */
#define CPT_AUTH_RECORD_DOMAIN 'R'
#define CPT_AUTH_IMAGE_DOMAIN 'I'

struct cpt_auth_key {
	struct kref ref;
	struct crypto_shash *tfm;	/* hmac(sha256), keyed */
	u8 id[CPT_KEY_ID_LEN];
};

struct cpt_auth_tag {
	u8 mac[CPT_AUTH_TAG_LEN];
	u16 type;			/* the record's, to name it */
};

struct cpt_auth {
	struct cpt_auth_key *key;
	struct shash_desc *desc;	/* the record being tagged */
	bool in_record;
	u16 type;			/* the record being tagged */
	int err;			/* the first hashing failure, for the record's end */
	struct cpt_auth_tag *tags;	/* one per record, in image order */
	u32 nr_tags;
	u32 max_tags;			/* allocated */
};

/* The loaded key; sessions hold their own references. */
static DEFINE_MUTEX(cpt_auth_key_lock);
static struct cpt_auth_key *cpt_auth_key;

static void cpt_auth_key_release(struct kref *ref)
{
	struct cpt_auth_key *key = container_of(ref, struct cpt_auth_key, ref);

	crypto_free_shash(key->tfm);
	kfree(key);
}

static void cpt_auth_key_put(struct cpt_auth_key *key)
{
	if (key)
		kref_put(&key->ref, cpt_auth_key_release);
}

static struct cpt_auth_key *cpt_auth_key_get(void)
{
	struct cpt_auth_key *key;

	mutex_lock(&cpt_auth_key_lock);
	key = cpt_auth_key;
	if (key)
		kref_get(&key->ref);
	mutex_unlock(&cpt_auth_key_lock);
	return key;
}

static const char *cpt_auth_record_name(u16 type)
{
	switch (type) {
	case CPT_REC_HEADER: return "HEADER";
	case CPT_REC_MANIFEST: return "MANIFEST";
	case CPT_REC_TREE: return "TREE";
	case CPT_REC_IPC: return "IPC";
	case CPT_REC_SECCOMP: return "SECCOMP";
	case CPT_REC_TASK: return "TASK";
	case CPT_REC_SIGNALS: return "SIGNALS";
	case CPT_REC_FILES: return "FILES";
	case CPT_REC_CPU: return "CPU";
	case CPT_REC_MM: return "MM";
	case CPT_REC_PAGES: return "PAGES";
	default: return "unknown";
	}
}

static void cpt_auth_update(struct cpt_auth *a, const void *buf, size_t len)
{
	int ret;

	if (a->err || !len)
		return;
	ret = crypto_shash_update(a->desc, buf, len);
	if (ret)
		a->err = ret;
}

void cpt_auth_record_begin(struct cpt_auth *a, const struct cpt_record_header *hdr)
{
	static const u8 domain = CPT_AUTH_RECORD_DOMAIN;
	int ret;

	if (!a)
		return;
	/* The trailer holds the tags: it is checked through the image's HMAC. */
	a->in_record = hdr->type != CPT_REC_TRAILER;
	if (!a->in_record)
		return;
	ret = crypto_shash_init(a->desc);
	if (ret && !a->err)
		a->err = ret;
	cpt_auth_update(a, &domain, sizeof(domain));
	cpt_auth_update(a, hdr, sizeof(*hdr));
	a->type = hdr->type;
}

void cpt_auth_record_data(struct cpt_auth *a, const void *buf, size_t len)
{
	if (a && a->in_record)
		cpt_auth_update(a, buf, len);
}

static int cpt_auth_grow(struct cpt_auth *a)
{
	struct cpt_auth_tag *tags;
	u32 max;

	if (a->nr_tags < a->max_tags)
		return 0;
	if (a->nr_tags >= CPT_AUTH_MAX_RECORDS) {
		cpt_note("image record %u: an authenticated image has at most %u records\n",
			 a->nr_tags, CPT_AUTH_MAX_RECORDS);
		return -EFBIG;
	}
	max = a->max_tags ? min(a->max_tags * 2, CPT_AUTH_MAX_RECORDS) : 64;
	tags = kvrealloc(a->tags, a->max_tags * sizeof(*tags), max * sizeof(*tags),
			 GFP_KERNEL_ACCOUNT);
	if (!tags)
		return -ENOMEM;
	a->tags = tags;
	a->max_tags = max;
	return 0;
}

int cpt_auth_record_end(struct cpt_auth *a, const __le32 *crc)
{
	u8 digest[SHA256_DIGEST_SIZE];
	struct cpt_auth_tag *tag;
	int ret;

	if (!a || !a->in_record)
		return 0;
	a->in_record = false;
	cpt_auth_update(a, crc, sizeof(*crc));
	ret = a->err ?: cpt_auth_grow(a);
	if (!ret)
		ret = crypto_shash_final(a->desc, digest);
	if (ret)
		return ret;
	tag = &a->tags[a->nr_tags++];
	memcpy(tag->mac, digest, sizeof(tag->mac));
	tag->type = a->type;
	return 0;
}

/* HMAC(key, 'I' || le64 number of tags || the tags), over the given tags. */
static int cpt_auth_image_mac(struct cpt_auth *a, const u8 *tags, u32 nr,
			      u8 out[SHA256_DIGEST_SIZE])
{
	static const u8 domain = CPT_AUTH_IMAGE_DOMAIN;
	__le64 count = cpu_to_le64(nr);
	int ret;

	ret = crypto_shash_init(a->desc);
	if (!ret)
		ret = crypto_shash_update(a->desc, &domain, sizeof(domain));
	if (!ret)
		ret = crypto_shash_update(a->desc, (const u8 *)&count, sizeof(count));
	if (!ret && nr)
		ret = crypto_shash_update(a->desc, tags, (size_t)nr * CPT_AUTH_TAG_LEN);
	if (!ret)
		ret = crypto_shash_final(a->desc, out);
	return ret;
}

/* The tags alone, back to back, as the trailer carries them. */
static u8 *cpt_auth_packed_tags(const struct cpt_auth *a)
{
	u8 *packed;
	u32 i;

	packed = kvmalloc(max_t(size_t, (size_t)a->nr_tags * CPT_AUTH_TAG_LEN, 1),
			  GFP_KERNEL_ACCOUNT);
	if (!packed)
		return NULL;
	for (i = 0; i < a->nr_tags; i++)
		memcpy(packed + (size_t)i * CPT_AUTH_TAG_LEN, a->tags[i].mac, CPT_AUTH_TAG_LEN);
	return packed;
}

int cpt_auth_trailer(struct cpt_auth *a, struct cpt_pb_buf *msg)
{
	u8 mac[SHA256_DIGEST_SIZE];
	u8 *packed;
	int ret;

	if (!a)
		return 0;
	packed = cpt_auth_packed_tags(a);
	if (!packed)
		return -ENOMEM;
	ret = cpt_auth_image_mac(a, packed, a->nr_tags, mac);
	if (!ret) {
		cpt_pb_bytes(msg, CPT_PB_TRAILER_HMAC, mac, sizeof(mac));
		cpt_pb_bytes(msg, CPT_PB_TRAILER_KEY_ID, a->key->id, sizeof(a->key->id));
		cpt_pb_bytes(msg, CPT_PB_TRAILER_RECORD_TAGS, packed,
			     (size_t)a->nr_tags * CPT_AUTH_TAG_LEN);
	}
	kvfree(packed);
	return ret;
}

struct cpt_auth_trailer {
	const u8 *hmac, *key_id, *tags;
	size_t hmac_len, key_id_len, tags_len;
};

static int cpt_auth_decode_trailer(const void *data, size_t len, struct cpt_auth_trailer *t)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;

	memset(t, 0, sizeof(*t));
	cpt_pb_for_each_field(&r, data, len, &f) {
		switch (f.num) {
		case CPT_PB_TRAILER_HMAC:
			cpt_pb_read_bytes(&r, &f, &t->hmac, &t->hmac_len);
			break;
		case CPT_PB_TRAILER_KEY_ID:
			cpt_pb_read_bytes(&r, &f, &t->key_id, &t->key_id_len);
			break;
		case CPT_PB_TRAILER_RECORD_TAGS:
			cpt_pb_read_bytes(&r, &f, &t->tags, &t->tags_len);
			break;
		default:	/* counts for display, or a newer field */
			break;
		}
	}
	return cpt_pb_end(&r);
}

/*
 * The trailer's claims against what this restart read: an image without
 * authentication, under another key, whose tag list is not the key
 * holder's, or with a record whose tag differs, is refused, naming which.
 */
static int cpt_auth_check(struct cpt_auth *a, const struct cpt_auth_trailer *t)
{
	u8 mac[SHA256_DIGEST_SIZE];
	u32 i;
	int ret;

	if (!t->hmac) {
		cpt_note("the image is not authenticated, and key %*phN is loaded\n",
			 CPT_KEY_ID_LEN, a->key->id);
		return -EKEYREJECTED;
	}
	if (t->key_id_len != CPT_KEY_ID_LEN || memcmp(t->key_id, a->key->id, CPT_KEY_ID_LEN)) {
		cpt_note("the image is authenticated under key %*phN, not %*phN\n",
			 (int)min_t(size_t, t->key_id_len, CPT_KEY_ID_LEN), t->key_id,
			 CPT_KEY_ID_LEN, a->key->id);
		return -EKEYREJECTED;
	}
	if (t->hmac_len != SHA256_DIGEST_SIZE || t->tags_len % CPT_AUTH_TAG_LEN ||
	    t->tags_len / CPT_AUTH_TAG_LEN > CPT_AUTH_MAX_RECORDS) {
		cpt_note("image trailer: malformed authentication fields\n");
		return -EKEYREJECTED;
	}
	ret = cpt_auth_image_mac(a, t->tags, t->tags_len / CPT_AUTH_TAG_LEN, mac);
	if (ret)
		return ret;
	if (crypto_memneq(mac, t->hmac, sizeof(mac))) {
		cpt_note("image trailer (record %u) fails authentication\n", a->nr_tags);
		return -EKEYREJECTED;
	}
	for (i = 0; i < a->nr_tags; i++) {
		if (i >= t->tags_len / CPT_AUTH_TAG_LEN ||
		    crypto_memneq(a->tags[i].mac, t->tags + (size_t)i * CPT_AUTH_TAG_LEN,
				  CPT_AUTH_TAG_LEN)) {
			cpt_note("image record %u (%s) fails authentication\n",
				 i, cpt_auth_record_name(a->tags[i].type));
			return -EKEYREJECTED;
		}
	}
	if (a->nr_tags != t->tags_len / CPT_AUTH_TAG_LEN) {
		cpt_note("image record %u: the trailer authenticates %zu records\n",
			 a->nr_tags, t->tags_len / CPT_AUTH_TAG_LEN);
		return -EKEYREJECTED;
	}
	return 0;
}

int cpt_auth_verify(struct cpt_session *s)
{
	struct cpt_auth_trailer t;
	size_t len;
	void *msg;
	int ret;

	if (!s->img.auth)
		return 0;
	msg = cpt_record_read(&s->img, CPT_REC_TRAILER, &len);
	if (IS_ERR(msg)) {
		/* Cut after a record: nothing vouches for the records read. */
		if (PTR_ERR(msg) == -ENODATA)
			cpt_note("image record %llu: the image ends before its trailer\n",
				 s->img.records);
		return PTR_ERR(msg);
	}
	ret = cpt_auth_decode_trailer(msg, len, &t);
	if (!ret)
		ret = cpt_auth_check(s->img.auth, &t);
	kvfree(msg);
	return ret;
}

int cpt_auth_start(struct cpt_session *s, bool allow_unauthenticated)
{
	struct cpt_auth_key *key;
	struct cpt_auth *a;

	/* Root's waiver: the restart checks nothing, as without a key. */
	if (allow_unauthenticated)
		return 0;
	key = cpt_auth_key_get();
	if (!key)
		return 0;
	a = kzalloc(sizeof(*a), GFP_KERNEL_ACCOUNT);
	if (a)
		a->desc = kzalloc(sizeof(*a->desc) + crypto_shash_descsize(key->tfm),
				  GFP_KERNEL_ACCOUNT);
	if (!a || !a->desc) {
		kfree(a);
		cpt_auth_key_put(key);
		return -ENOMEM;
	}
	a->desc->tfm = key->tfm;
	a->key = key;
	s->img.auth = a;
	return 0;
}

void cpt_auth_free(struct cpt_auth *a)
{
	if (!a)
		return;
	/* The hash state in progress is derived from the key. */
	kfree_sensitive(a->desc);
	kvfree(a->tags);
	cpt_auth_key_put(a->key);
	kfree(a);
}

/* The key's id: the first bytes of its SHA-256, which say nothing of it. */
static int cpt_auth_key_new(const u8 *raw, u32 len, struct cpt_auth_key **out)
{
	u8 digest[SHA256_DIGEST_SIZE];
	struct cpt_auth_key *key;
	int ret;

	key = kzalloc(sizeof(*key), GFP_KERNEL);
	if (!key)
		return -ENOMEM;
	kref_init(&key->ref);
	key->tfm = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(key->tfm)) {
		ret = PTR_ERR(key->tfm);
		cpt_note("the kernel has no hmac(sha256) (%pe)\n", ERR_PTR(ret));
		kfree(key);
		return ret;
	}
	ret = crypto_shash_setkey(key->tfm, raw, len);
	if (ret) {
		crypto_free_shash(key->tfm);
		kfree(key);
		return ret;
	}
	sha256(raw, len, digest);
	memcpy(key->id, digest, sizeof(key->id));
	memzero_explicit(digest, sizeof(digest));
	*out = key;
	return 0;
}

static int cpt_auth_load(const struct cpt_key *req)
{
	struct cpt_auth_key *key, *old;
	u8 raw[CPT_KEY_MAX_LEN];
	int ret;

	if (req->key_len < CPT_KEY_MIN_LEN || req->key_len > CPT_KEY_MAX_LEN) {
		cpt_note("an image key has %u to %u bytes, not %u\n",
			 CPT_KEY_MIN_LEN, CPT_KEY_MAX_LEN, req->key_len);
		return -EINVAL;
	}
	if (copy_from_user(raw, u64_to_user_ptr(req->key), req->key_len))
		ret = -EFAULT;
	else
		ret = cpt_auth_key_new(raw, req->key_len, &key);
	memzero_explicit(raw, sizeof(raw));
	if (ret)
		return ret;
	mutex_lock(&cpt_auth_key_lock);
	old = cpt_auth_key;
	cpt_auth_key = key;
	mutex_unlock(&cpt_auth_key_lock);
	cpt_auth_key_put(old);
	return 0;
}

static int cpt_auth_unload(void)
{
	struct cpt_auth_key *old;

	mutex_lock(&cpt_auth_key_lock);
	old = cpt_auth_key;
	cpt_auth_key = NULL;
	mutex_unlock(&cpt_auth_key_lock);
	if (!old)
		return -ENOKEY;
	cpt_auth_key_put(old);
	return 0;
}

long cpt_ioctl_key(struct cpt_file *cf, union cpt_ioctl_arg *arg)
{
	struct cpt_key *req = &arg->key;
	struct cpt_auth_key *key;
	int ret;

	if (req->flags || req->loaded || memchr_inv(req->key_id, 0, sizeof(req->key_id)) ||
	    req->reserved[0] || req->reserved[1])
		return -EINVAL;
	if (req->op != CPT_KEY_LOAD && (req->key || req->key_len))
		return -EINVAL;
	switch (req->op) {
	case CPT_KEY_LOAD:
	case CPT_KEY_UNLOAD:
		if (!capable(CAP_SYS_ADMIN)) {
			cpt_note("loading or unloading the image key needs CAP_SYS_ADMIN\n");
			return -EPERM;
		}
		ret = req->op == CPT_KEY_LOAD ? cpt_auth_load(req) : cpt_auth_unload();
		if (ret)
			return ret;
		break;
	case CPT_KEY_STATUS:
		break;
	default:
		return -EINVAL;
	}
	key = cpt_auth_key_get();
	req->loaded = !!key;
	if (key)
		memcpy(req->key_id, key->id, sizeof(req->key_id));
	cpt_auth_key_put(key);
	return 0;
}

void cpt_auth_exit(void)
{
	cpt_auth_unload();
}
