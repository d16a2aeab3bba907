/* SPDX-License-Identifier: GPL-2.0 */
/* What the address space's restart (cpt_mm_restore.c, cpt_mm_restore_check.c) shares. */
#ifndef CPT_MM_RESTORE_H
#define CPT_MM_RESTORE_H

#include <linux/auxvec.h>
#include <linux/mm_types.h>
#include <linux/types.h>

#include "cpt_mm.h"
#include "cpt_session.h"

struct file;
struct page;

/* A saved VMA, as decoded; path points into the record, without a NUL. */
struct cpt_mm_vma {
	u64 start;
	u64 end;
	u64 pgoff;
	u64 vm_flags;
	u32 prot;
	u32 flags;
	u32 kind;
	u32 shm_id;		/* SYSV_SHM */
	u32 shmem_id;		/* SHMEM */
	u64 shmem_size;
	u64 huge_page_size;	/* hugetlb memory */
	u32 path_len;
	const char *path;
	struct cpt_opener opener;	/* FILE: who opened it */
	int open_flags;
	struct file *file;
	struct cpt_pb_field rec;	/* the Vma message itself, for its in_parent runs */
	struct cpt_mm_cow_runs cow;
};

/* The current task's vvar and vDSO. */
struct cpt_mm_specials {
	unsigned long vvar;
	unsigned long vvar_end;
	unsigned long vdso;
	unsigned long vdso_end;
};

/* A restart's working state. */
struct cpt_mm_restore {
	struct cpt_mm_vma *vmas;
	unsigned int nr_vmas;
	unsigned int vdso;		/* indices in vmas */
	unsigned int vvar;
	u64 facts[CPT_MM_NR_FACTS];
	unsigned long auxv[AT_VECTOR_SIZE];
	unsigned int auxv_len;
	const char *exe;
	u32 exe_len;
	struct cpt_opener exe_opener;
	struct file *exe_file;
	u64 nr_pages;
	u32 mlockall;			/* MCL_FUTURE, MCL_ONFAULT */
	u32 membarrier;			/* MEMBARRIER_CMD_REGISTER_* */
	struct cpt_mm_specials cur;
	struct cpt_mm_aio_ring *aio_rings;
	unsigned int nr_aio_rings;
	char *path;			/* PATH_MAX bytes */
	struct page **pages;		/* CPT_MM_GUP_BATCH entries */
	u32 nr_in_parent_runs;		/* all VMAs' */
	struct page *bounce[CPT_MM_COW_BATCH];	/* in_parent pages, read to compare */
};

/* cpt_mm_restore_check.c: the record decoded and checked, its files opened. */
int cpt_mm_bad(const char *what);
int cpt_mm_decode(struct cpt_mm_restore *rs, const void *data, size_t len);
int cpt_mm_decode_in_parent(struct cpt_mm_restore *rs);
bool cpt_mm_vma_has_data(const struct cpt_mm_vma *v);
int cpt_mm_check(struct cpt_mm_restore *rs);
int cpt_mm_check_locked(struct cpt_mm_restore *rs);
int cpt_mm_check_membarrier(struct cpt_mm_restore *rs);
int cpt_mm_check_alone(struct cpt_session *s);
int cpt_mm_check_specials(struct cpt_mm_restore *rs);
int cpt_mm_open_files(struct cpt_session *s, struct cpt_mm_restore *rs);
int cpt_mm_check_huge_pages(struct cpt_mm_restore *rs);

#endif /* CPT_MM_RESTORE_H */
