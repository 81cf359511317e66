# The shell functions the program's scripts share. A script takes only the functions it calls (components/core/
# scripts.py: prelude), without these comments, because every step's script is kept in the Pulumi state.
# One function per block, blocks apart by a blank line, no blank line inside a block.

# dir PATH OWNER GROUP MODE: make the directory with that owner and mode when it is missing; prints `dir PATH` when it
# did. A directory that is there is left as it is: the program never takes over a directory it did not make.
dir() {
  [ -d "$1" ] || { install -d -o "$2" -g "$3" -m "$4" "$1"; echo "dir $1"; }
}

# put PATH OWNER GROUP MODE LENGTH STAT_MODE: the next LENGTH bytes of stdin (where several files' contents follow
# each other) become PATH, atomically: a temporary file in PATH's directory, 0600 until it has its owner and mode,
# renamed over PATH only when the content or the attributes differ, so a failed write (a full disk) leaves the old
# file. Each command is a process, and the lab's 8 computes write 130 files at once on 2 cores: an unchanged file
# costs five. Prints `changed PATH` or `unchanged PATH`: the restarts read it. The trap removes a temporary file that a
# failure left.
put() {
  f=$1
  d=${f%/*}
  [ -d "${d:=/}" ] || mkdir -p "$d"
  tmp=$(mktemp "$d/.openstack-storage.XXXXXX")
  head -c "$5" > "$tmp"
  if [ -f "$f" ] && cmp -s "$tmp" "$f" && [ "$(stat -c %U:%G:%a "$f")" = "$2:$3:$6" ]; then
    rm -f "$tmp"
    echo "unchanged $f"
  else
    chown "$2:$3" "$tmp"
    chmod "$4" "$tmp"
    mv -f "$tmp" "$f"
    echo "changed $f"
  fi
}
tmp=
trap 'rm -f "$tmp"' EXIT

# caps_lines: `ceph auth get` output on stdin -> the caps as sorted `kind=caps` lines: what the ensure step of a
# cephx user compares with the wanted caps, and what a read of its caps reports.
caps_lines() { sed -n 's/^[[:space:]]*caps \([a-z]*\) = "\(.*\)"$/\1=\2/p' | sort; }
