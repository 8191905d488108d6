#!/usr/bin/env bash
# Checks that this directory is Badger as published (the version below,
# from the Go module proxy) plus accountbot.patch and nothing else: the
# same Go files (tests, the badger CLI, docs and integration tests left
# out) with the patch applied. `make check-badger` runs it.
set -euo pipefail
version=v4.9.6
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dir=$(cd "$tmp" && go mod download -json "github.com/dgraph-io/badger/v4@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$dir" ] || { echo "check-badger: could not download Badger $version" >&2; exit 1; }
mkdir "$tmp/up"
(cd "$dir" && find . -type f \( \( -name '*.go' ! -name '*_test.go' \) -o -name go.mod -o -name go.sum -o -name LICENSE \) \
	! -path './badger/*' ! -path './integration/*' ! -path './contrib/*' ! -path './docs/*' -print0 | tar --null -cf - -T -) | tar -C "$tmp/up" -xf -
chmod -R u+w "$tmp/up"
(cd "$tmp/up" && patch -s -p1 < "$here/accountbot.patch")
if ! diff -r -x ACCOUNTBOT.md -x accountbot.patch -x check.sh "$tmp/up" "$here"; then
	echo "check-badger: third_party/badger is not Badger $version plus accountbot.patch (differences above)" >&2
	exit 1
fi
echo "third_party/badger is Badger $version plus accountbot.patch"
