#!/usr/bin/env bash
# Install the Linux bundle for the current user (no root): copies dist/planner to
# ~/.local/opt/compute-budget-planner, links planner-gui and planner into ~/.local/bin, installs
# the hicolor icons and the .desktop file (Exec rewritten to the absolute path).
#
#   packaging/linux/install-desktop.sh [BUNDLE_DIR]      (default dist/planner)
#   packaging/linux/install-desktop.sh --uninstall
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
id=compute-budget-planner
data=${XDG_DATA_HOME:-$HOME/.local/share}
opt=$HOME/.local/opt/$id
bin=$HOME/.local/bin
sizes=(16 24 32 48 64 128 256 512)

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$opt" "$data/applications/$id.desktop"
    for s in "${sizes[@]}"; do rm -f "$data/icons/hicolor/${s}x${s}/apps/$id.png"; done
    for exe in planner-gui planner; do
        [ -L "$bin/$exe" ] && [ "$(readlink "$bin/$exe")" = "$opt/$exe" ] && rm -f "$bin/$exe"
    done
    echo "uninstalled $id"
    exit 0
fi

bundle=$(cd "${1:-$root/dist/planner}" && pwd)
[ -x "$bundle/planner-gui" ] || { echo "install-desktop: $bundle/planner-gui not found (run packaging/build.sh)" >&2; exit 1; }

mkdir -p "$(dirname "$opt")" "$bin" "$data/applications"
tmp="$opt.new.$$"
rm -rf "$tmp"
cp -a "$bundle" "$tmp"
rm -rf "$opt"
mv "$tmp" "$opt"
ln -sfn "$opt/planner-gui" "$bin/planner-gui"
ln -sfn "$opt/planner" "$bin/planner"
for s in "${sizes[@]}"; do
    mkdir -p "$data/icons/hicolor/${s}x${s}/apps"
    install -m 644 "$root/icons/planner-$s.png" "$data/icons/hicolor/${s}x${s}/apps/$id.png"
done
sed "s|^Exec=planner-gui|Exec=$opt/planner-gui|" "$here/$id.desktop" > "$data/applications/$id.desktop.tmp"
mv "$data/applications/$id.desktop.tmp" "$data/applications/$id.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
echo "installed $id: $opt (menu entry: Compute Budget Planner; commands: planner-gui, planner)"
