#!/usr/bin/env bash
# Stage: make a git tree of a pinned base with its patch queue applied.
#
#   tree.sh apply  mainline|lts|qemu   create or refresh the tree from base + queue
#   tree.sh export mainline|lts|qemu   write the tree's commits (base..HEAD) back to the queue
#   tree.sh pristine mainline|lts      build/BASE/pristine: a worktree of the tree at its
#                                      base tag (the unpatched kernel make bench compares)
#
# Trees and queues: mainline and lts are build/BASE/linux with linux/BASE/*.patch;
# qemu is build/qemu with qemu/patches/*.patch.
#
# The queue is the source of truth. apply never throws away work: if the tree holds
# commits that are in neither the queue nor what was last applied, it stops and says
# to export them first. Export is deterministic (no dates or hashes that churn), so
# export -> apply -> export is byte-identical.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
. "$here/lib.sh"

action=${1:-}
name=${2:-}
case "$action" in apply | export | pristine) ;; *) die "usage: tree.sh apply|export|pristine mainline|lts|qemu (got '$action'); fix: use one of those" ;; esac
case "$name" in mainline | lts | qemu) ;; *) die "unknown tree '$name'; fix: use mainline, lts or qemu" ;; esac

build=$top/build
[ -f "$build/inputs.env" ] || die "build/inputs.env missing; fix: run 'make setup'"
. "$build/inputs.env"
case "$name" in
qemu)
	tree=$build/qemu queue=$top/qemu/patches base_version=$QEMU_VERSION_USED
	;;
*)
	tree=$build/$name/linux queue=$top/linux/$name
	version_var=LINUX_${name}_VERSION_USED tarball_var=LINUX_${name}_TARBALL
	base_version=${!version_var:-} tarball=${!tarball_var:-}
	[ -n "$base_version" ] || die "no source fetched for kernel base '$name'; fix: run 'make setup BASES=$name'"
	;;
esac
applied=$build/.$name-applied
cover=0000-cover-letter.patch
base_tag=base

identity_name=$(git -C "$top" config user.name || echo "sea-platform harness")
identity_email=$(git -C "$top" config user.email || echo "harness@sea-platform.invalid")
g() {
	git -C "$tree" -c user.name="$identity_name" -c user.email="$identity_email" \
		-c core.autocrlf=false -c advice.detachedHead=false "$@"
}

# export_to DIR: deterministic format-patch of base..HEAD into DIR. The cover letter
# is kept by hand in the queue: its subject and text live in the tree as the
# branch description, and git regenerates its shortlog and diffstat.
export_to() {
	local out=$1 n
	rm -rf "$out" && mkdir -p "$out"
	n=$(g rev-list --count "$base_tag..HEAD")
	[ "$n" -gt 0 ] || return 0
	local cover_opts=()
	if [ -n "$(g config branch.main.description || true)" ]; then
		cover_opts=(--cover-letter --cover-from-description=subject)
	fi
	g format-patch -q --zero-commit --no-signature --no-base --full-index --abbrev=12 \
		--minimal --no-renames --stat=80 --subject-prefix=PATCH \
		"${cover_opts[@]}" -o "$out" "$base_tag..HEAD" >/dev/null
	# The cover letter's Date: is the time of the export; pin it to the tip's author date.
	if [ -f "$out/$cover" ]; then
		local tip_date
		tip_date=$(g log -1 --format=%aD HEAD)
		sed -i "0,/^Date: .*/s//Date: $tip_date/" "$out/$cover"
	fi
}

queue_digest() { { (cd "$1" 2>/dev/null && cat ./*.patch 2>/dev/null) || true; } | sha256sum | cut -c1-16; }

# Restore the cover letter text (subject + body before the shortlog) as the branch
# description, so that export regenerates it unchanged.
import_cover() {
	local f=$queue/$cover
	[ -f "$f" ] || return 0
	local subject body
	# Headers may be folded onto continuation lines that start with a space.
	subject=$(awk '/^$/ {exit} /^Subject: / {s = $0; on = 1; next} on && /^ / {s = s $0; next} {on = 0} END {print s}' "$f" |
		sed 's/^Subject: \[PATCH[^]]*\] //')
	# Body: after the first blank line following the headers, up to the shortlog line "Name (N):".
	body=$(awk 'hdr==0 && /^$/ {hdr=1; next} hdr==1 && /^[^ ].* \([0-9]+\):$/ {exit} hdr==1 {print}' "$f")
	g config branch.main.description "$(printf '%s\n\n%s' "$subject" "$body" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}')"
}

extract_base() {
	local stage=$build/.$name-extract
	rm -rf "$stage" && mkdir -p "$stage"
	case "$name" in
	qemu)
		require_tools dpkg-source
		say "unpacking qemu $base_version with Debian's patches"
		dpkg-source --no-check -x "$QEMU_DSC" "$stage/tree" >/dev/null
		;;
	*)
		say "unpacking $tarball ($base_version)"
		mkdir -p "$stage/tree"
		tar -xf "$tarball" -C "$stage/tree" --strip-components=1
		;;
	esac
	(
		cd "$stage/tree"
		git init -q -b main .
		git add -A -f .
		GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
			git -c user.name="$identity_name" -c user.email="$identity_email" \
			commit -q -m "Debian $name source $base_version"
		git tag "$base_tag"
		git config sea.base-version "$base_version"
	)
	rm -rf "$tree"
	mkdir -p "$(dirname "$tree")"
	mv "$stage/tree" "$tree"
	rm -rf "$stage" "$applied"
}

apply_queue() {
	g reset -q --hard "$base_tag"
	g config --unset branch.main.description || true
	import_cover
	local patches=()
	local p
	for p in "$queue"/[0-9]*.patch; do
		[ -e "$p" ] && [ "${p##*/}" != "$cover" ] && patches+=("$p")
	done
	if [ ${#patches[@]} -gt 0 ]; then
		say "applying ${#patches[@]} patches from ${queue#"$top"/}"
		if ! g am -q -3 --keep-cr "${patches[@]}" >"$build/.$name-am.log" 2>&1; then
			local failed
			failed=$(sed -n 's/^Patch failed at [0-9]* //p' "$build/.$name-am.log" | head -n 1)
			g am --abort >/dev/null 2>&1 || true
			g reset -q --hard "$base_tag"
			die "${queue#"$top"/} no longer applies on $base_version (at: ${failed:-see build/.$name-am.log}); fix: rebase the series in ${tree#"$top"/}, then 'make export TREE=$name'"
		fi
	fi
	queue_digest "$queue" > "$applied"
}

case "$action" in
pristine)
	[ "$name" != qemu ] || die "tree.sh pristine is for kernel bases; fix: tree.sh pristine mainline|lts"
	[ -d "$tree/.git" ] || die "${tree#"$top"/} is not a git tree; fix: run 'make trees' first"
	wt=$(dirname "$tree")/pristine
	if [ "$(git -C "$wt" rev-parse HEAD 2>/dev/null)" != "$(g rev-parse "$base_tag")" ]; then
		g worktree remove --force "$wt" 2>/dev/null || rm -rf "$wt"
		g worktree prune
		g worktree add -q --detach "$wt" "$base_tag"
	fi
	;;
export)
	[ -d "$tree/.git" ] || die "${tree#"$top"/} is not a git tree; fix: run 'make trees' first"
	[ -z "$(g status --porcelain --untracked-files=no)" ] ||
		die "${tree#"$top"/} has uncommitted changes; fix: commit them in ${tree#"$top"/}, then export"
	export_to "$build/.$name-export"
	mkdir -p "$queue"
	rm -f "$queue"/*.patch
	cp "$build/.$name-export"/*.patch "$queue"/ 2>/dev/null || true
	queue_digest "$queue" > "$applied"
	say "exported $(stems "$queue" .patch | wc -w) files to ${queue#"$top"/}"
	;;
apply)
	if [ ! -d "$tree/.git" ] || [ "$(g config sea.base-version || true)" != "$base_version" ]; then
		if [ -d "$tree/.git" ] && [ -n "$(g status --porcelain --untracked-files=no)" ]; then
			die "${tree#"$top"/} has uncommitted changes and its base changed; fix: commit them and 'make export TREE=$name' (or remove ${tree#"$top"/} to discard them)"
		fi
		if [ -d "$tree/.git" ] && [ ! -f "$applied" ] && [ "$(g rev-parse HEAD)" != "$(g rev-parse "$base_tag")" ]; then
			die "${tree#"$top"/} holds commits of unknown origin and its base changed; fix: 'make export TREE=$name' (or remove ${tree#"$top"/} to discard them)"
		fi
		if [ -d "$tree/.git" ] && [ -f "$applied" ]; then
			export_to "$build/.$name-export"
			[ "$(queue_digest "$build/.$name-export")" = "$(cat "$applied")" ] ||
				die "${tree#"$top"/} holds commits not in ${queue#"$top"/} and the base changed; fix: 'make export TREE=$name' (or remove ${tree#"$top"/} to discard them)"
		fi
		extract_base
		apply_queue
		exit 0
	fi
	[ -z "$(g status --porcelain --untracked-files=no)" ] ||
		say "${tree#"$top"/} has uncommitted changes: building them as they are"
	# A queue that failed to apply left the tree at base: apply it again, so that it
	# fails again, naming the patch, instead of building the bare base.
	if [ ! -f "$applied" ] && [ "$(g rev-parse HEAD)" = "$(g rev-parse "$base_tag")" ]; then
		apply_queue
		exit 0
	fi
	export_to "$build/.$name-export"
	tree_digest=$(queue_digest "$build/.$name-export")
	queue_now=$(queue_digest "$queue")
	if [ "$tree_digest" = "$queue_now" ]; then
		queue_digest "$queue" > "$applied"
		exit 0
	fi
	if [ -f "$applied" ] && [ "$tree_digest" = "$(cat "$applied")" ]; then
		apply_queue
		exit 0
	fi
	if [ -f "$applied" ] && [ "$queue_now" != "$(cat "$applied")" ]; then
		die "${queue#"$top"/} changed and ${tree#"$top"/} also holds commits not in it; fix: 'make export TREE=$name' and merge, or remove ${tree#"$top"/} to take the queue"
	fi
	say "${tree#"$top"/} has commits not in ${queue#"$top"/}: building the tree as it is ('make export TREE=$name' saves them)"
	;;
esac
