"""Stylesheet and scripts of the HTML report, and the inlined Leaflet library.

Leaflet 1.9.4 (BSD-2-Clause, ``_vendor/leaflet/LICENSE``) is shipped inside the package and
inlined into every report, so a report opens offline, with no CDN. Its stylesheet's images are
inlined as data URIs. When the vendored files are missing (a broken install), the report links
the CDN copy instead and says so.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from importlib import resources

LEAFLET_VERSION = "1.9.4"
_CDN = f"https://unpkg.com/leaflet@{LEAFLET_VERSION}/dist"

CSS = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --bg: #f5f7fa; --accent: #2b6cb0; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.5 -apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
  "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif; }
header { background: #102a43; color: #fff; padding: 14px 24px; }
header h1 { margin: 0; font-size: 20px; font-weight: 600; }
header p { margin: 2px 0 0; color: #bcccdc; font-size: 13px; }
main { padding: 16px 24px 32px; max-width: 1600px; margin: 0 auto; }
.en { color: var(--muted); font-weight: normal; }
header .en { color: #9fb3c8; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(210px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.card .k { font-size: 12px; color: var(--muted); }
.card .v { font-size: 22px; font-weight: 600; white-space: nowrap; }
.card .s { font-size: 12px; color: var(--muted); }
.arrow { color: var(--accent); padding: 0 4px; }
.good { color: #1a7f37; } .bad { color: #c0392b; }
.row { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px;
  margin-top: 16px; }
@media (max-width: 1000px) { .row { grid-template-columns: 1fr; } }
main > section, .row > section { background: #fff; border: 1px solid var(--line);
  border-radius: 8px; padding: 12px 16px; margin-top: 16px; }
.row > section { margin-top: 0; overflow-x: auto; }
h2 { font-size: 16px; margin: 0 0 8px; }
#sc-map { height: 620px; border-radius: 6px; background: #e8edf2; }
#sc-map-note { display: none; margin: 0 0 6px; padding: 4px 8px; background: #fff4e5;
  border: 1px solid #f0b429; border-radius: 4px; font-size: 12px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left;
  vertical-align: top; }
th { background: #f0f4f8; position: sticky; top: 0; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.scroll { max-height: 520px; overflow: auto; }
.tag { display: inline-block; padding: 0 6px; margin: 1px 2px; border-radius: 10px;
  font-size: 12px; background: #edf2f7; white-space: nowrap; }
.tag.add { background: #e3f9e5; } .tag.miss { background: #ffe3e3; }
.tools { margin: 4px 0 8px; font-size: 13px; }
.tools input[type=search] { padding: 3px 6px; width: 220px; }
.legend { background: rgba(255,255,255,.92); padding: 6px 8px; border-radius: 4px;
  max-height: 340px; overflow-y: auto;
  font-size: 12px; line-height: 18px; box-shadow: 0 1px 4px rgba(0,0,0,.3); }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 5px;
  vertical-align: -2px; border-radius: 50%; border: 1px solid #555; }
.legend i.new { border-radius: 1px; transform: rotate(45deg); border: 2px solid #111; }
.sc-new { width: 14px; height: 14px; transform: rotate(45deg); border: 2px solid #111;
  border-radius: 1px; box-shadow: 0 0 2px #fff; }
footer { color: var(--muted); font-size: 12px; margin-top: 16px; }
details img { max-width: 100%; border: 1px solid var(--line); }
"""

MAP_JS = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("sc-data").textContent);
  var box = document.getElementById("sc-map");
  if (typeof L === "undefined") {
    box.textContent = "地图库未能加载 / the map library could not be loaded";
    return;
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  var missColors = data.missColors;
  function missColor(n) { return missColors[Math.min(n, missColors.length - 1)]; }
  var cats = data.categories;
  var colorBy = data.colorBy || null;
  function fill(i, n) {
    if (!colorBy) { return missColor(n); }
    var g = colorBy.of[i];
    return g < 0 ? colorBy.none : colorBy.groups[g].color;
  }
  function groupName(i) {
    var g = colorBy ? colorBy.of[i] : -1;
    return g < 0 ? "" : colorBy.groups[g].name;
  }
  var map = L.map(box, {preferCanvas: true, zoomSnap: 0.25});
  var blank = L.layerGroup();
  var bases = {};
  bases["无底图 No basemap"] = blank;
  if (data.tiles) {
    var tiles = L.tileLayer(data.tiles.url, {attribution: data.tiles.attribution,
      subdomains: data.tiles.subdomains, maxZoom: 19});
    bases[data.tiles.name] = tiles;
    tiles.addTo(map);
    var loaded = 0;
    tiles.on("tileload", function () { loaded += 1; });
    tiles.on("tileerror", function () {
      if (loaded > 0 || !map.hasLayer(tiles)) { return; }
      map.removeLayer(tiles);
      blank.addTo(map);
      document.getElementById("sc-map-note").style.display = "block";
    });
  } else {
    blank.addTo(map);
  }
  function communityLayer(after) {
    var layer = L.layerGroup();
    data.communities.forEach(function (c, i) {
      var n = after ? c.nAfter : c.nBefore;
      var m = L.circleMarker([c.lat, c.lon], {radius: c.r, color: "#334e68", weight: 0.7,
        fillColor: fill(i, n), fillOpacity: 0.85});
      var group = groupName(i);
      var html = "<b>" + esc(c.id) + (c.name ? " " + esc(c.name) : "") + "</b><br>" +
        (colorBy ? esc(colorBy.by) + " " + esc(group || "—") + "<br>" : "") +
        "人口 population " + esc(c.pop) + "<br>" +
        "补点前缺 missing before: " + esc(c.missBefore || "—") + "<br>" +
        "新增 added: " + esc(c.gained || "—") + "<br>" +
        "补点后仍缺 still missing: " + esc(c.missAfter || "—");
      m.bindPopup(html);
      m.bindTooltip(esc(c.name || c.id) + (group ? " · " + esc(group) : "") + " · " + n +
        " 缺 missing");
      layer.addLayer(m);
    });
    return layer;
  }
  var overlays = {};
  var after = communityLayer(true);
  after.addTo(map);
  overlays["社区·补点后 Communities, after"] = after;
  overlays["社区·补点前 Communities, before"] = communityLayer(false);
  var unreachable = data.communities.filter(function (c) { return c.unreachable; });
  if (unreachable.length) {
    var out = L.layerGroup();
    unreachable.forEach(function (c) {
      var m = L.circleMarker([c.lat, c.lon], {radius: c.r + 5, color: "#111", weight: 2.5,
        dashArray: "3 3", fill: false, className: "sc-unreachable"});
      m.bindTooltip("✕ " + esc(c.name || c.id) + " 无法到达 out of reach: " + esc(c.unreachable));
      out.addLayer(m);
    });
    out.addTo(map);
    overlays["✕ 无法到达的社区 Communities out of reach"] = out;
  }
  var byCat = cats.map(function () { return L.layerGroup(); });
  data.existing.forEach(function (e) {
    e.cats.forEach(function (k) {
      var m = L.circleMarker([e.lat, e.lon], {radius: 4, color: "#fff", weight: 1,
        fillColor: cats[k].color, fillOpacity: 0.95});
      m.bindPopup("<b>" + esc(e.id) + (e.name ? " " + esc(e.name) : "") + "</b> 现有 existing<br>" +
        esc(cats[k].label));
      byCat[k].addLayer(m);
    });
  });
  var phases = data.phases || [];
  var newMarkers = [];
  data.added.forEach(function (a) {
    var icon = L.divIcon({className: "", iconSize: [14, 14],
      html: '<div class="sc-new" style="background:' + cats[a.k].color + '"></div>'});
    var m = L.marker([a.lat, a.lon], {icon: icon, zIndexOffset: 1000});
    var when = a.phase >= 0 ? "<br>分期 phase " + esc(phases[a.phase]) : "";
    m.bindPopup("<b>" + esc(a.site) + (a.name ? " " + esc(a.name) : "") + "</b> 新增 new<br>" +
      esc(cats[a.k].label) + when +
      "<br>成本 cost " + esc(a.cost) + "<br>新覆盖人口 population newly covered " + esc(a.pop));
    byCat[a.k].addLayer(m);
    newMarkers.push({m: m, k: a.k, phase: a.phase});
  });
  var phaseSelect = document.getElementById("sc-phase");
  if (phaseSelect && phases.length) {
    // "all", "upto:ID" (opened in that phase or an earlier one) or "in:ID" (in that phase)
    var applyPhase = function () {
      var v = phaseSelect.value, colon = v.indexOf(":"), shown = 0;
      var cut = colon < 0 ? -1 : phases.indexOf(v.slice(colon + 1));
      var upto = v.slice(0, colon) === "upto";
      newMarkers.forEach(function (n) {
        var show = v === "all" || (n.phase >= 0 && (upto ? n.phase <= cut : n.phase === cut));
        var group = byCat[n.k];
        if (show) {
          shown += 1;
          if (!group.hasLayer(n.m)) { group.addLayer(n.m); }
        } else if (group.hasLayer(n.m)) {
          group.removeLayer(n.m);
        }
      });
      document.getElementById("sc-phase-count").textContent =
        shown + " / " + newMarkers.length + " 个新增设施 new facilities shown";
    };
    var wanted = decodeURIComponent(location.hash.slice(1));
    if (wanted.indexOf("phase=") === 0) {  // report.html#phase=upto:2028 opens filtered
      Array.prototype.forEach.call(phaseSelect.options, function (o) {
        if (o.value === wanted.slice(6)) { phaseSelect.value = o.value; }
      });
    }
    phaseSelect.addEventListener("change", applyPhase);
    applyPhase();
  }
  cats.forEach(function (c, k) {
    byCat[k].addTo(map);
    overlays['<span style="color:' + c.color + '">&#9679;</span> ' + esc(c.label)] = byCat[k];
  });
  L.control.layers(bases, overlays, {collapsed: box.clientWidth < 700}).addTo(map);
  L.control.scale({imperial: false}).addTo(map);
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "legend");
    var rows = [];
    if (colorBy) {
      rows.push("<b>分组 Groups: " + esc(colorBy.by) + "</b>");
      colorBy.groups.forEach(function (g) {
        rows.push('<i style="background:' + g.color + '"></i>' + esc(g.name));
      });
      if (colorBy.of.indexOf(-1) >= 0) {
        rows.push('<i style="background:' + colorBy.none + '"></i>— 无 none');
      }
    } else {
      rows.push("<b>缺少的必需品类 Missing required</b>");
      missColors.forEach(function (col, n) {
        var label = n === missColors.length - 1 ? n + "+" : String(n);
        rows.push('<i style="background:' + col + '"></i>' + label);
      });
    }
    rows.push('<i style="background:#999;width:8px;height:8px;border-color:#fff"></i>' +
      "现有设施 existing");
    rows.push('<i class="new" style="background:#999"></i> 新增设施 new');
    if (unreachable.length) {
      rows.push('<i style="background:none;border:2px dashed #111;border-radius:50%"></i>' +
        "无法到达 out of reach");
    }
    div.innerHTML = rows.join("<br>");
    return div;
  };
  legend.addTo(map);
  var wide = box.clientWidth > 900;
  map.fitBounds(data.bounds, {paddingTopLeft: [12, 12],
    paddingBottomRight: [wide ? 260 : 12, 12]});
})();
"""

TABLE_JS = r"""
(function () {
  "use strict";
  var input = document.getElementById("sc-filter");
  var only = document.getElementById("sc-only");
  var rows = document.querySelectorAll("#sc-gaps tbody tr");
  function apply() {
    var q = input.value.trim().toLowerCase();
    rows.forEach(function (tr) {
      var show = (!q || tr.textContent.toLowerCase().indexOf(q) >= 0) &&
        (!only.checked || tr.getAttribute("data-left") === "1");
      tr.style.display = show ? "" : "none";
    });
  }
  input.addEventListener("input", apply);
  only.addEventListener("change", apply);
})();
"""


def _vendor(name: str) -> bytes | None:
    try:
        return resources.files("sitecircle").joinpath("_vendor", "leaflet", name).read_bytes()
    except (FileNotFoundError, OSError):
        return None


@cache
def leaflet_head() -> str:
    """``<style>`` and ``<script>`` of Leaflet, inlined (or CDN links when not vendored).

    Returns
    -------
    str
        HTML for the document head.
    """
    js, css = _vendor("leaflet.js"), _vendor("leaflet.css")
    if js is None or css is None:  # pragma: no cover - broken install
        return (f'<link rel="stylesheet" href="{_CDN}/leaflet.css">\n'
                f'<script src="{_CDN}/leaflet.js"></script>')

    def inline_image(match: re.Match[str]) -> str:
        data = _vendor(match.group(1))
        if data is None:  # pragma: no cover - broken install
            return "none"
        return "url(data:image/png;base64," + base64.b64encode(data).decode("ascii") + ")"

    style = re.sub(r"url\(images/([\w.-]+\.png)\)", inline_image, css.decode("utf-8"))
    script = js.decode("utf-8").replace("</script", "<\\/script")
    return f"<style>\n{style}\n</style>\n<script>\n{script}\n</script>"
