import Foundation
import SeqCatalog
import SeqCore

/// `sequences.html`: every sequence of every video as a contact sheet of its kept crops, with
/// filters (status, duplicates dropped, quality, video) and sorting.
///
/// The page carries the sequences as one inline JSON block and draws one page of them at a
/// time (50 by default) with lazy images, so that it stays fast for tens of thousands of
/// sequences: the HTML holds one short record per sequence, not one element per face.
struct SequenceBrowserPage {
    /// What the browser needs of one sequence, read from `SequenceListing`.
    struct Entry {
        var listing: SequenceListing
        /// The video page that shows it, relative to the report folder (`videos/video-3.html#seq-9`).
        var videoPage: String
        /// Crop references relative to the report folder, one per kept face (nil: no file).
        var crops: [String?]
    }

    var title: String
    var entries: [Entry]
    var videoNames: [Int64: String]
    /// Sequences drawn per page of the browser.
    var perPage = 50

    static let fileName = "sequences.html"

    func render() -> String {
        var body = "<section id=\"browser\"><h2>Sequences (\(HTML.count(entries.count)))</h2>"
        body += "<p class=\"muted\">Every sequence of every video: its kept crops in frame order. Status is what export does with it "
            + "(<b>sequence</b>: a sequence label; <b>identity:NAME</b>: relabelled to an imported identity its faces match; "
            + "<b>excluded:REASON</b>: kept out). Hover a crop for its frame and score; click a heading for the video page.</p>"
        body += controls()
        body += "<p id=\"seq-count\" class=\"muted\"></p><p class=\"pager\" id=\"seq-pager\"></p>"
        body += "<div id=\"seq-list\"><noscript><p class=\"warn\">The sequence browser needs JavaScript.</p></noscript></div>"
        body += "<p class=\"pager\" id=\"seq-pager-bottom\"></p></section>\n"
        body += "<script type=\"application/json\" id=\"seq-data\">\(Self.scriptSafe(data().serialized(.condensed)))</script>\n"
        body += "<script>\(Self.script.replacingOccurrences(of: "PER_PAGE", with: String(max(1, perPage))))</script>\n"
        return PageTemplate.document(title: "Sequences – \(title)", nav: [("index.html", "Overview"), ("index.html#videos", "Videos")], body: body)
    }

    private func controls() -> String {
        let videos = videoNames.keys.sorted().map { id in "<option value=\"\(id)\">\(id): \(HTML.escape(videoNames[id]!))</option>" }.joined()
        var out = "<form class=\"filters\" id=\"seq-filters\" onsubmit=\"return false\">"
        out += "<label>Status <select data-f=\"status\"><option value=\"\">all</option><option value=\"sequence\">sequence</option>"
            + "<option value=\"identity\">relabelled (identity)</option><option value=\"excluded\">excluded</option></select></label>"
        out += "<label>Video <select data-f=\"video\"><option value=\"\">all</option>\(videos)</select></label>"
        out += "<label><input type=\"checkbox\" data-f=\"dup\"> with duplicates dropped</label>"
        out += "<label>min mean score <input type=\"number\" step=\"0.01\" min=\"0\" max=\"1\" data-f=\"score\" style=\"width:5em\"></label>"
        out += "<label>min mean sharpness <input type=\"number\" step=\"1\" min=\"0\" data-f=\"sharp\" style=\"width:5em\"></label>"
        out += "<label>min eye distance (px) <input type=\"number\" step=\"1\" min=\"0\" data-f=\"eye\" style=\"width:5em\"></label>"
        out += "<label>min faces <input type=\"number\" step=\"1\" min=\"0\" data-f=\"faces\" style=\"width:4em\"></label>"
        out += "<label>Sort <select data-f=\"sort\"><option value=\"id\">sequence id</option><option value=\"video\">video, frame</option>"
            + "<option value=\"faces\">most faces</option><option value=\"score\">highest mean score</option>"
            + "<option value=\"sharp\">sharpest</option><option value=\"eye\">largest faces</option>"
            + "<option value=\"seconds\">longest</option><option value=\"dup\">most duplicates dropped</option></select></label>"
        return out + "</form>"
    }

    /// One compact record per sequence; crop references share their folder (`b`), so the
    /// block grows by little more than a file name per face.
    func data() -> JSONValue {
        .array(entries.map { e in
            let q = e.listing
            let present = e.crops.compactMap { $0 }
            let base = Self.commonFolder(present)
            let kind: String
            switch q.status { case .sequence: kind = "sequence"; case .identity: kind = "identity"; case .excluded: kind = "excluded" }
            let faces: [JSONValue] = zip(q.faces, e.crops).map { f, crop in
                .array([.int(f.frame), .double(Self.rounded(Double(f.score), 3)), crop.map { .string(String($0.dropFirst(base.count))) } ?? .null,
                        .int(f.exclusions.isEmpty ? 0 : 1)])
            }
            return .object([
                ("id", .int(Int(q.id))), ("v", .int(Int(q.videoID))), ("shot", .optional(q.shotIndex)), ("track", .int(q.trackIndex)),
                ("f0", .int(q.firstFrame)), ("f1", .int(q.lastFrame)), ("kind", .string(kind)), ("status", .string(q.status.text)),
                ("person", .optional(q.identity.person.map { Int($0) })),
                ("score", .double(Self.rounded(q.meanScore, 3))), ("sharp", .optional(q.meanSharpness.map { Self.rounded($0, 1) })),
                ("eye", .double(Self.rounded(q.meanEyeDistance, 1))), ("seconds", .optional(q.seconds.map { Self.rounded($0, 2) })),
                ("dup", .int(q.dropped[FaceReason.duplicate.rawValue] ?? 0)), ("dropped", .int(q.dropped.values.reduce(0, +))),
                ("page", .string(e.videoPage)), ("b", .string(base)), ("faces", .array(faces)),
            ])
        })
    }

    /// The longest common prefix of the references that ends with `/`.
    static func commonFolder(_ refs: [String]) -> String {
        guard var prefix = refs.first.map({ Substring($0) }) else { return "" }
        for r in refs.dropFirst() {
            while !r.hasPrefix(prefix) { prefix = prefix.dropLast() }
        }
        guard let slash = prefix.lastIndex(of: "/") else { return "" }
        return String(prefix[...slash])
    }

    static func rounded(_ v: Double, _ digits: Int) -> Double {
        let p = pow(10, Double(digits))
        return (v * p).rounded() / p
    }

    /// JSON inside `<script>`: `</` would end the element, so it is written `<\/` (the same string to JSON).
    static func scriptSafe(_ json: String) -> String { json.replacingOccurrences(of: "</", with: "<\\/") }

    /// Filters, sorts and draws one page; `?selfcheck` draws every sequence so that the
    /// render check loads every crop.
    static let script = """
    (function(){
    var data=JSON.parse(document.getElementById('seq-data').textContent);
    var form=document.getElementById('seq-filters'),list=document.getElementById('seq-list');
    var perPage=location.search.indexOf('selfcheck')===-1?PER_PAGE:Math.max(1,data.length);
    var page=0;
    function val(name){return form.querySelector('[data-f="'+name+'"]');}
    function num(name){var x=parseFloat(val(name).value);return isNaN(x)?null:x;}
    function el(tag,cls,text){var e=document.createElement(tag);if(cls){e.className=cls;}if(text!==undefined){e.textContent=text;}return e;}
    function selected(){
    var st=val('status').value,vid=val('video').value,dup=val('dup').checked;
    var minScore=num('score'),minSharp=num('sharp'),minEye=num('eye'),minFaces=num('faces');
    var out=data.filter(function(q){
    if(st!==''&&q.kind!==st){return false;}
    if(vid!==''&&String(q.v)!==vid){return false;}
    if(dup&&q.dup===0){return false;}
    if(minScore!==null&&q.score<minScore){return false;}
    if(minSharp!==null&&(q.sharp===null||q.sharp<minSharp)){return false;}
    if(minEye!==null&&q.eye<minEye){return false;}
    if(minFaces!==null&&q.faces.length<minFaces){return false;}
    return true;});
    var key=val('sort').value;
    var by={id:function(q){return q.id;},video:function(q){return q.v*1e9+q.f0;},faces:function(q){return -q.faces.length;},
    score:function(q){return -q.score;},sharp:function(q){return q.sharp===null?Infinity:-q.sharp;},eye:function(q){return -q.eye;},
    seconds:function(q){return q.seconds===null?Infinity:-q.seconds;},dup:function(q){return -q.dup;}}[key]||function(q){return q.id;};
    return out.sort(function(a,b){var x=by(a),y=by(b);return x<y?-1:x>y?1:a.id-b.id;});}
    function pager(target,count,pages){
    target.textContent='';if(pages<=1){return;}
    target.appendChild(document.createTextNode('Pages: '));
    var gap=false;
    for(var p=0;p<pages;p++){
    if(p>1&&p<pages-2&&Math.abs(p-page)>4){if(!gap){target.appendChild(document.createTextNode('… '));gap=true;}continue;}
    gap=false;
    if(p===page){target.appendChild(el('strong','',String(p+1)));}
    else{var a=el('a','',String(p+1));a.href='#';a.setAttribute('data-page',String(p));
    a.addEventListener('click',function(ev){ev.preventDefault();page=parseInt(this.getAttribute('data-page'),10);draw();window.scrollTo(0,list.offsetTop-80);});
    target.appendChild(a);}
    target.appendChild(document.createTextNode(' '));}}
    function sheet(q){
    var sec=el('section','sequence');sec.id='s'+q.id;
    var h=el('h3');var a=el('a','','Sequence '+q.id);a.href=q.page;h.appendChild(a);
    var shot=q.shot===null?'':' · shot '+q.shot;
    h.appendChild(document.createTextNode(' · video '+q.v+shot+' · track '+q.track+' · frames '+q.f0+'–'+q.f1+' · '+q.faces.length+' kept, '+q.dropped+' dropped'+(q.dup>0?' ('+q.dup+(q.dup===1?' duplicate)':' duplicates)'):'')+' '));
    h.appendChild(el('span','badge status-'+q.kind,q.status));
    sec.appendChild(h);
    var info='mean score '+q.score.toFixed(3)+' · eye distance '+q.eye.toFixed(1)+' px'+(q.sharp===null?'':' · sharpness '+q.sharp.toFixed(1))+(q.seconds===null?'':' · '+q.seconds.toFixed(2)+' s')+(q.person===null?'':' · person '+q.person);
    sec.appendChild(el('p','muted',info));
    var div=el('div','sheet');
    q.faces.forEach(function(f){
    var t=el('div',f[3]?'tile excluded':'tile');t.title='frame '+f[0]+', score '+f[1]+(f[3]?', excluded':'');
    if(f[2]!==null){var link=el('a');link.href=q.b+f[2];var img=el('img');img.src=q.b+f[2];img.loading='lazy';img.width=72;img.height=72;img.alt='frame '+f[0];link.appendChild(img);t.appendChild(link);}
    else{t.appendChild(el('div','ph','missing'));}
    t.appendChild(el('div','','f'+f[0]));div.appendChild(t);});
    sec.appendChild(div);return sec;}
    function draw(){
    var rows=selected();var pages=Math.max(1,Math.ceil(rows.length/perPage));if(page>=pages){page=pages-1;}
    document.getElementById('seq-count').textContent=rows.length+' of '+data.length+' sequences match'+(pages>1?'; page '+(page+1)+' of '+pages:'');
    pager(document.getElementById('seq-pager'),rows.length,pages);pager(document.getElementById('seq-pager-bottom'),rows.length,pages);
    list.textContent='';var frag=document.createDocumentFragment();
    rows.slice(page*perPage,(page+1)*perPage).forEach(function(q){frag.appendChild(sheet(q));});
    if(rows.length===0){frag.appendChild(el('p','muted','No sequence matches the filters.'));}
    list.appendChild(frag);}
    Array.prototype.forEach.call(form.querySelectorAll('[data-f]'),function(c){c.addEventListener(c.tagName==='SELECT'||c.type==='checkbox'?'change':'input',function(){page=0;draw();});});
    draw();
    })();
    """
}
