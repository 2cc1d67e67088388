//! The page's one stylesheet, inlined in its `<head>` (nothing is loaded from anywhere else).

/// The styles of every section: dark colours and big numbers, readable from across a room.
pub(super) const CSS: &str = r#"
:root{--bg:#0f1419;--panel:#182029;--line:#26313d;--text:#e6edf3;--dim:#8b98a5;--ok:#3fb950;
--warn:#d29922;--bad:#f85149;--accent:#58a6ff}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:17px/1.45 "DejaVu Sans",system-ui,sans-serif}
header{display:flex;align-items:center;gap:24px;padding:18px 32px;border-bottom:1px solid var(--line)}
header h1{font-size:24px;margin:0;font-weight:600}
header .host{color:var(--dim);font-size:20px}
header .when{margin-left:auto;color:var(--dim)}
.pill{padding:6px 16px;border-radius:999px;font-weight:600;font-size:16px}
.pill.ok{background:rgba(63,185,80,.15);color:var(--ok)}
.pill.bad{background:rgba(248,81,73,.15);color:var(--bad)}
.banner{margin:16px 32px 0;padding:14px 18px;border-radius:10px;background:rgba(248,81,73,.12);
border:1px solid rgba(248,81,73,.4)}
.banner.warn{background:rgba(210,153,34,.12);border-color:rgba(210,153,34,.4)}
.tiles{display:grid;grid-template-columns:repeat(6,1fr);gap:16px;padding:20px 32px}
.tile{background:var(--panel);border:1px solid var(--line);border-radius:12px;padding:14px 18px}
.tile .n{font-size:40px;font-weight:700;line-height:1.1}
.tile .l{color:var(--dim);text-transform:uppercase;letter-spacing:.06em;font-size:13px}
.tile.bad .n{color:var(--bad)}.tile.warn .n{color:var(--warn)}.tile.ok .n{color:var(--ok)}
.tile.up .n{color:var(--accent)}
main{display:grid;grid-template-columns:3fr 2fr;gap:24px;padding:0 32px 24px}
section{background:var(--panel);border:1px solid var(--line);border-radius:12px;padding:16px 20px;margin-bottom:24px}
h2{margin:0 0 12px;font-size:15px;text-transform:uppercase;letter-spacing:.08em;color:var(--dim);font-weight:600}
h2 .c{color:var(--text);margin-left:8px}
.item{padding:10px 0;border-top:1px solid var(--line)}
.item:first-of-type{border-top:0}
.name{font-weight:600}.dev{color:var(--accent);margin-right:8px}
.sub{color:var(--dim);font-size:15px;word-break:break-all}
.bar{height:10px;background:#0b0f14;border-radius:6px;overflow:hidden;margin:8px 0 4px}
.bar i{display:block;height:100%;background:var(--accent);border-radius:6px}
.bar.low i{background:var(--bad)}.bar.disk i{background:var(--ok)}
.fail .name{color:var(--bad)}
.todo{margin-top:6px;padding:8px 12px;background:#0b0f14;border-left:3px solid var(--warn);border-radius:4px;font-size:15px}
.retry .name{color:var(--warn)}
.empty{color:var(--dim);font-style:italic}
.takes{display:grid;grid-template-columns:repeat(3,1fr);gap:12px}
.take{background:#0b0f14;border-radius:10px;overflow:hidden}
.thumb{aspect-ratio:16/9;display:flex;align-items:center;justify-content:center;
background:#1f3a5f;font-size:22px;font-weight:700;color:rgba(255,255,255,.75);letter-spacing:.04em}
.thumb img{width:100%;height:100%;object-fit:cover}
.take .meta{padding:8px 10px;font-size:14px}
.take .meta .name{font-size:15px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
code{background:#0b0f14;padding:1px 6px;border-radius:4px;font-size:15px}
footer{color:var(--dim);padding:0 32px 20px;font-size:14px}
"#;
