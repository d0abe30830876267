#!/bin/sh
# Writes a section-1 man page (gzip -9n) from a program's --help output.
#   manpage.sh BINARY NAME "one-line summary" OUTPUT.1.gz
set -eu
bin=$1 name=$2 summary=$3 out=$4
help=$("$bin" --help 2>&1 | sed -e 's/\\/\\e/g' -e 's/^[.'"'"']/\\\&&/')
{
  printf '.TH %s 1 "" "vitals %s" "vitals"\n' "$(echo "$name" | tr a-z A-Z)" "$("$bin" --version 2>/dev/null | awk '{print $NF}')"
  printf '.SH NAME\n%s \\- %s\n' "$name" "$summary"
  printf '.SH SYNOPSIS\n.nf\n%s\n.fi\n' "$help"
  printf '.SH FILES\n.TP\n/etc/vitals/\nConfiguration files.\n'
  printf '.SH SEE ALSO\nThe guides in /usr/share/doc/%s/.\n' "$name"
} | gzip -9n > "$out"
