#!/bin/bash
# A RUSTC_WRAPPER for build_cost.sh: runs rustc and appends "<crate> <user s> <sys s>" to the
# file $RUSTC_TIME_LOG, so a build's CPU time can be split by crate.
rustc=$1
shift
name=rustc
prev=
for arg in "$@"; do
  [ "$prev" = "--crate-name" ] && name=$arg
  prev=$arg
done
exec /usr/bin/time -a -o "$RUSTC_TIME_LOG" -f "$name %U %S" "$rustc" "$@"
