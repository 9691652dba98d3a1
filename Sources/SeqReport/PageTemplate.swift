import Foundation

/// The frame every report page shares: a complete HTML document with its style and script
/// inline, so each page opens from disk on its own (no CDN, no shared asset to lose).
enum PageTemplate {
    /// A whole page. `title` is plain text; `nav` holds (href, label) pairs, plain text;
    /// `body` is HTML.
    static func document(title: String, nav: [(href: String, label: String)], body: String) -> String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<meta name=\"generator\" content=\"seqcurate report\">\n"
        out += "<title>\(HTML.escape(title))</title>\n<style>\(css)</style>\n</head>\n<body>\n"
        out += "<header><h1>\(HTML.escape(title))</h1>"
        if !nav.isEmpty {
            out += "<nav>" + nav.map { "<a href=\"\(HTML.escape($0.href))\">\(HTML.escape($0.label))</a>" }.joined(separator: " · ") + "</nav>"
        }
        out += "</header>\n<main>\n\(body)\n</main>\n<script>\(script)</script>\n</body>\n</html>\n"
        return out
    }

    /// A table from rows of already escaped cells.
    static func table(header: [String], rows: [[String]], rowClass: String? = nil, id: String? = nil) -> String {
        var out = "<table\(id.map { " id=\"\(HTML.escape($0))\"" } ?? "")><thead><tr>"
        out += header.map { "<th>\(HTML.escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        let cls = rowClass.map { " class=\"\(HTML.escape($0))\"" } ?? ""
        for r in rows { out += "<tr\(cls)>" + r.map { "<td>\($0)</td>" }.joined() + "</tr>" }
        out += "</tbody></table>"
        return out
    }

    /// A two-column table of facts (name, escaped HTML value).
    static func facts(_ rows: [(String, String)]) -> String {
        "<table class=\"facts\"><tbody>" + rows.map { "<tr><th>\(HTML.escape($0.0))</th><td>\($0.1)</td></tr>" }.joined() + "</tbody></table>"
    }

    static let css = """
    body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;background:#fafafa}
    header{background:#263238;color:#fff;padding:10px 20px}header h1{margin:0;font-size:20px}
    header nav{margin-top:4px}header a{color:#b3e5fc}
    main{padding:10px 20px 40px}h2{border-bottom:1px solid #ccc;padding-bottom:2px;margin-top:28px}h3{margin:18px 0 6px;font-size:15px}
    table{border-collapse:collapse;margin:6px 0;background:#fff}th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
    th{background:#eceff1}td.num,th.num{text-align:right}table.facts th{width:14em}
    .charts{display:flex;flex-wrap:wrap;gap:12px}svg.chart{background:#fff;border:1px solid #ddd;max-width:100%;height:auto}
    .muted{color:#777}.warn{color:#b71c1c}.badge{display:inline-block;padding:0 5px;border-radius:3px;background:#eceff1;font-size:12px}
    .badge.excluded{background:#ffcdd2}
    .sheet{display:flex;flex-wrap:wrap;gap:4px;margin:4px 0 10px}
    .tile{width:76px;font-size:10px;text-align:center;overflow:hidden;background:#fff;border:1px solid #ddd;padding:1px}
    .tile img{width:72px;height:72px;display:block;margin:0 auto;background:#eee}
    .tile .ph{width:72px;height:72px;margin:0 auto;display:flex;align-items:center;justify-content:center;background:#cfd8dc;color:#455a64;font-size:11px}
    .tile.dropped{opacity:.55;filter:grayscale(1)}.tile.dropped .why{color:#b71c1c;font-weight:bold}
    .tile.excluded{outline:2px solid #e53935}
    .filters label{margin-right:10px;white-space:nowrap}input[type=search]{padding:3px 6px;width:18em}
    .pager a,.pager strong{margin-right:6px}pre{background:#fff;border:1px solid #ddd;padding:6px;overflow:auto}
    .pair{display:inline-block;margin:4px 10px 4px 0;vertical-align:top}.pair img{width:96px;height:auto;margin-right:2px}
    .legend{font-size:12px}.legend-item{margin-right:12px;white-space:nowrap}
    .swatch{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle;border:1px solid #999}
    .badge.status-identity{background:#bbdefb}.badge.status-excluded{background:#ffcdd2}.badge.status-sequence{background:#c8e6c9}
    img.thumb{width:72px;height:auto}td.unreliable{color:#b71c1c}
    """

    /// Filtering (a search box over table rows, reason check boxes over face tiles) and the
    /// self-check used by tools/render_report.sh (`page.html?selfcheck`): it loads every
    /// image eagerly and writes the failures and script errors into `#selfcheck`.
    static let script = """
    (function(){
    function each(list,f){Array.prototype.forEach.call(list,f);}
    each(document.querySelectorAll('input[data-filter]'),function(box){
    var rows=document.querySelectorAll(box.getAttribute('data-filter'));
    box.addEventListener('input',function(){var q=box.value.toLowerCase();
    each(rows,function(r){r.hidden=q!==''&&r.textContent.toLowerCase().indexOf(q)===-1;});});});
    each(document.querySelectorAll('input[data-reason]'),function(cb){
    cb.addEventListener('change',function(){var why=cb.getAttribute('data-reason');
    each(document.querySelectorAll('.tile'),function(t){if(t.getAttribute('data-reason')===why){t.hidden=!cb.checked;}});});});
    if(location.search.indexOf('selfcheck')===-1){return;}
    var errors=[];
    window.addEventListener('error',function(e){errors.push('error: '+(e.message||(e.target&&(e.target.src||e.target.href))||'?'));},true);
    var consoleError=console.error;console.error=function(){errors.push('console.error: '+Array.prototype.join.call(arguments,' '));consoleError.apply(console,arguments);};
    window.addEventListener('load',function(){
    var srcs=[];each(document.images,function(img){var s=img.getAttribute('src');if(srcs.indexOf(s)===-1){srcs.push(s);}});
    var pending=srcs.length;
    function done(){var out=document.createElement('pre');out.id='selfcheck';
    out.textContent='SELFCHECK '+(errors.length===0?'OK':'FAIL')+' images='+srcs.length+' errors='+errors.length+'\\n'+errors.join('\\n');
    document.body.appendChild(out);}
    if(pending===0){done();return;}
    each(srcs,function(s){var probe=new Image();
    probe.onload=function(){if(probe.naturalWidth===0){errors.push('image empty: '+s);}pending-=1;if(pending===0){done();}};
    probe.onerror=function(){errors.push('image failed: '+s);pending-=1;if(pending===0){done();}};
    probe.src=s;});});
    })();
    """
}
