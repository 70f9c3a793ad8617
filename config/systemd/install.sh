#!/bin/sh
# Installs a built Outpost checkout as the systemd service outpost-gateway (see the comment at the
# top of outpost-gateway.service). Run as root from anywhere, after, in the checkout:
#   npm ci && npm run build && npm prune --omit=dev
# DESTDIR=/some/root installs into that directory instead and skips systemctl (packaging, tests).
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
root=${DESTDIR:-}
if [ ! -f "$src/dist/src/cli.js" ] || [ ! -d "$src/node_modules" ]; then
  echo "install.sh: build first, in $src: npm ci && npm run build && npm prune --omit=dev" >&2
  exit 1
fi
umask 022
app="$root/opt/outpost"
rm -rf "$app/dist/src"
install -d "$app/dist" "$root/etc/outpost" "$root/etc/systemd/system"
cp -R "$src/dist/src" "$app/dist/"
rm -rf "$app/node_modules"
cp -R "$src/node_modules" "$app/"
# The native addon: the unit is Type=notify, and only the addon can send systemd's notifications.
rm -rf "$app/native"
if [ -f "$src/native/build/Release/outpost_native.node" ]; then
  install -d "$app/native/build/Release"
  install -m 644 "$src/native/build/Release/outpost_native.node" "$app/native/build/Release/"
else
  echo "install.sh: warning: native/build/Release/outpost_native.node is missing (node native/build.mjs builds it);" >&2
  echo "  without it the gateway cannot notify systemd: use a drop-in with Type=simple and WatchdogSec=0" >&2
fi
cp "$src/package.json" "$src/README.md" "$app/"
# The samples too: the control plane's dashboard installs the unit from /opt/outpost/config/systemd.
rm -rf "$app/config"
cp -R "$src/config" "$app/"
# The config and process settings are the operator's once installed: never overwritten.
for f in gateway.yaml process.env; do
  [ -e "$root/etc/outpost/$f" ] || install -m 644 "$src/config/$f" "$root/etc/outpost/$f"
done
install -m 644 "$src/config/systemd/outpost-gateway.service" "$root/etc/systemd/system/outpost-gateway.service"
if [ -z "$root" ]; then
  systemctl daemon-reload
  systemctl enable --now outpost-gateway
fi
echo "installed: $app, $root/etc/outpost, $root/etc/systemd/system/outpost-gateway.service"
