# shellcheck shell=sh
# Private anonymous memory shared copy-on-write between a parent and its
# forked children: what the checkpoint records of it, through inspect.
# The driver runs it as sh -c '. "$0/FILE.sh" && scenario_NAME' test/guest/shell.
# shellcheck source=test/guest/shell/lib.sh
. "$0/lib.sh"

# The INFO lines of the cycle's output, for the log (how much memory each
# process shares), and the image's inspect --json in $scratch/$1.json; if
# inspect fails, check $2 fails with its error.
cow_inspect() {
	grep '^INFO' "$out" | sed 's/^/# /'
	cptctl_in "$scratch/$1.json" "$scratch/$1.err" inspect --json --no-record-list "$img" && return 0
	result "$2" FAIL "$(tr '\n' ' ' <"$scratch/$1.err")"
	return 1
}

# After the cow cycle (test/workloads/cow_tree.c): each of the four
# children and the grandchild wrote 32 pages of each of the three regions
# of 1024 pages (the root locked the third); the other 992 of each region are its parent's very pages
# (the grandchild's parent is the last child). The root's parent is not in
# the tree: none of its pages is marked.
after_cow() {
	cow_inspect cow inspect.cow-in-parent || return
	marked=$(jq '[.processes[].mm.vmas[] | select(.inParentPages == "992")] | length' "$scratch/cow.json")
	root=$(jq '.mm.nrInParentPages // "0"' "$scratch/cow.json")
	marked_ok=no
	[ "$marked" = 15 ] && [ "$root" = '"0"' ] && marked_ok=yes
	pass_if inspect.cow-in-parent "$marked VMAs with 992 pages in parent (want 15), the root's pages in parent: $root" \
		[ $marked_ok = yes ]
	inspect_shows inspect.cow-text "$img" 'in parent|the parent' \
		'1024/1024 pages, 992 in parent' 'pages saved, [0-9]+ of them the parent.s too'
}

# After the cow-huge cycle (test/workloads/cow_huge.c): child 0 wrote
# nothing, child 1 one page of THP and one of B. The checkpoint marks in
# child 0 all 1024 pages of THP and the 64 of A and of B as its parent's,
# in child 1 all but the page it wrote; none in the root.
after_cow_huge() {
	cow_inspect cow-huge inspect.cow-huge-in-parent || return
	# shellcheck disable=SC2046 # three addresses
	set -- $(sed -n 's/^INFO cow_huge map THP \(0x[0-9a-f]*\) A \(0x[0-9a-f]*\) B \(0x[0-9a-f]*\)$/\1 \2 \3/p' "$out")
	marked=$(jq -c --argjson at "[\"${1:-}\", \"${2:-}\", \"${3:-}\"]" \
		'[.processes[] | .mm.vmas as $vmas | [$at[] as $s | $vmas[] | select(.start == $s) | .inParentPages // "0"]]' \
		"$scratch/cow-huge.json")
	pass_if inspect.cow-huge-in-parent "pages in parent of THP, A and B per process: $marked" \
		[ "$marked" = '[["0","0","0"],["1024","64","64"],["1023","64","63"]]' ]
}

# Between the checkpoint and the restart of cow-huge-hostile: the image
# made to say that child 1's pages of THP and of B are all its parent's,
# the two it wrote included (one run each): the restart must still give
# child 1 its own words there (the workload's content check).
hostile_cow_huge() {
	# shellcheck disable=SC2046 # three addresses
	set -- $(sed -n 's/^INFO cow_huge map THP \(0x[0-9a-f]*\) A \(0x[0-9a-f]*\) B \(0x[0-9a-f]*\)$/\1 \2 \3/p' "$out")
	hexes="[\"${1:-}\", \"${2:-}\", \"${3:-}\"]"
	# shellcheck disable=SC2046 # three addresses
	set -- $(sed -n 's/^INFO cow_huge map in decimal THP \([0-9]*\) A \([0-9]*\) B \([0-9]*\)$/\1 \2 \3/p' "$out")
	widened="(.recordList[] | select(.type == \"MM\") | .message.vmas[] |
		select((.start == \"${1:-}\" or .start == \"${3:-}\") and (.inParent // [] | length) == 2) | .inParent) |=
		[{ start: .[0].start, nrPages: (((.[1].start | tonumber) + (.[1].nrPages | tonumber) * 4096 - (.[0].start | tonumber)) / 4096 | tostring) }]"
	if cptctl_in "$scratch/hostile.json" "$scratch/hostile.err" inspect --json "$img" &&
		jq -c "$widened" "$scratch/hostile.json" >"$scratch/hostile-edited.json" 2>"$scratch/hostile.err" &&
		cptctl_in /dev/null "$scratch/hostile.err" encode "$scratch/hostile-edited.json" -o "$scratch/hostile.img" &&
		cptctl_in "$scratch/hostile-check.json" "$scratch/hostile.err" inspect --json --no-record-list "$scratch/hostile.img"; then
		mv "$scratch/hostile.img" "$img"
		marked=$(jq -c --argjson at "$hexes" \
			'[.processes[] | .mm.vmas as $vmas | [$at[] as $s | $vmas[] | select(.start == $s) | .inParentPages // "0"]]' \
			"$scratch/hostile-check.json")
		pass_if cow-huge-hostile.widened "pages in parent of THP, A and B per process: $marked" \
			[ "$marked" = '[["0","0","0"],["1024","64","64"],["1024","64","64"]]' ]
	else
		result cow-huge-hostile.widened FAIL "$(tr '\n' ' ' <"$scratch/hostile.err")"
	fi
	rm -f "$scratch"/hostile*.json
}

# The three regions of cow_prot (test/workloads/cow_prot.c): hex (as
# inspect --json shows a VMA's start) and decimal (as the record list).
cow_prot_map() {
	sed -n "s/^INFO cow_prot map $1NONE \([0-9a-fx]*\) READ \([0-9a-fx]*\) RW \([0-9a-fx]*\)\$/\1 \2 \3/p" "$out"
}

# Per process, the pages in parent of NONE, READ and RW in $1 (inspect --json).
cow_prot_marked() {
	# shellcheck disable=SC2046 # three addresses
	set -- "$1" $(cow_prot_map '')
	jq -c --argjson at "[\"${2:-}\", \"${3:-}\", \"${4:-}\"]" \
		'[.processes[] | .mm.vmas as $vmas | [$at[] as $s | $vmas[] | select(.start == $s) | .inParentPages // "0"]]' "$1"
}

# After the cow-prot cycle: the child made NONE PROT_NONE and READ
# PROT_READ, its parent keeps them read-write: the checkpoint marks none
# of their pages in parent, all 16 of RW's.
after_cow_prot() {
	cow_inspect cow-prot inspect.cow-prot-in-parent || return
	marked=$(cow_prot_marked "$scratch/cow-prot.json")
	pass_if inspect.cow-prot-in-parent "pages in parent of NONE, READ and RW per process: $marked" \
		[ "$marked" = '[["0","0","0"],["0","0","16"]]' ]
}

# Between the checkpoint and the restart of cow-prot-hostile: the image
# made to say that the child's pages of NONE and READ are its parent's
# (the child's Mm is the one whose RW has pages in parent): the restart
# must share none of them, or the child would get its parent's access.
hostile_cow_prot() {
	# shellcheck disable=SC2046 # three addresses
	set -- $(cow_prot_map 'in decimal ')
	widened="(.recordList[] | select(.type == \"MM\") |
		select([.message.vmas[] | select(.start == \"${3:-}\" and (.inParent // [] | length) > 0)] | length > 0) |
		.message.vmas[]) |= (if .start == \"${1:-}\" or .start == \"${2:-}\" then .inParent = [{ start: .start, nrPages: \"16\" }] else . end)"
	if cptctl_in "$scratch/hostile.json" "$scratch/hostile.err" inspect --json "$img" &&
		jq -c "$widened" "$scratch/hostile.json" >"$scratch/hostile-edited.json" 2>"$scratch/hostile.err" &&
		cptctl_in /dev/null "$scratch/hostile.err" encode "$scratch/hostile-edited.json" -o "$scratch/hostile.img" &&
		cptctl_in "$scratch/hostile-check.json" "$scratch/hostile.err" inspect --json --no-record-list "$scratch/hostile.img"; then
		mv "$scratch/hostile.img" "$img"
		marked=$(cow_prot_marked "$scratch/hostile-check.json")
		pass_if cow-prot-hostile.widened "pages in parent of NONE, READ and RW per process: $marked" \
			[ "$marked" = '[["0","0","0"],["16","16","16"]]' ]
	else
		result cow-prot-hostile.widened FAIL "$(tr '\n' ' ' <"$scratch/hostile.err")"
	fi
	rm -f "$scratch"/hostile*.json
}
