#!/bin/sh
# manpage.sh BINARY OUT.1.gz: reznet-perfd(1), generated with help2man from the binary's own
# --help and each verb's --help, so the page cannot drift from the command line. The sections
# help2man cannot know (commands in full, files, see also) come from here and manpage.h2m. The
# configuration reference is its own page, reznet-perfd.yaml(5) (md2man.py, from
# docs/configuration.md).
set -eu
bin="$1"
out="$2"
here="$(cd "$(dirname "$0")" && pwd)"
include="$(mktemp)"
trap 'rm -f "$include"' EXIT
{
  echo "[COMMANDS]"
  for verb in $("$bin" --help | awk '/^Subcommands:/ { on = 1; next } on && NF { print $1 }'); do
    echo ".SS $verb"
    echo ".nf"
    # roff: a backslash is written \e, and a line must not start with a dot or a quote.
    "$bin" "$verb" --help | sed -e '1,/^Usage:/{/^Usage:/!d}' -e 's/\\/\\e/g' -e "s/^[.']/\\\\\\&&/" \
      -e "s#^Usage: [^ ]*/#Usage: #"
    echo ".fi"
  done
  cat "$here/manpage.h2m"
} >"$include"
# In plain ASCII (md2man.py --ascii): a terminal without the glyphs shows no "???" for a verdict
# mark or an ellipsis.
help2man --no-info --no-discard-stderr --section=1 \
  --name="synthetic performance monitor for LLM-backed services" \
  --include="$include" "$bin" | python3 "$here/md2man.py" --ascii | gzip -9n >"$out"
