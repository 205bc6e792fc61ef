// llmtrace/html/detail/viewer_assets.hpp: the CSS and JavaScript inlined into every HTML trace file
// (html/render.hpp). The script reads the trace data from a JSON <script> block and builds the page
// with createElement/textContent only: no innerHTML, no eval, no network. Thread-safety: constants.
#pragma once

#include <llmtrace/config.hpp>

#include <string_view>

LLMTRACE_BEGIN_NAMESPACE
namespace html {
namespace detail {

inline constexpr std::string_view viewer_css = R"LLMTRACE_CSS(
:root{--bg:#fff;--fg:#1d232b;--dim:#687382;--line:#e3e7ec;--sel:#e8f0fe;--chat:#2f6fde;--embed:#8a4fd8;
--retr:#17915a;--tool:#d8791a;--flow:#5b6b7d;--other:#9aa6b3;--err:#d1242f;--load:#f2b84b;--pe:#7fb0f5;--ev:#1b4fb0}
*{box-sizing:border-box}
body{margin:0;font:13px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header{padding:8px 14px;border-bottom:1px solid var(--line);display:flex;gap:14px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:15px;margin:0}
header .meta{color:var(--dim)}
#filters{display:flex;gap:8px;align-items:center;padding:6px 14px;border-bottom:1px solid var(--line)}
#filters input[type=search]{width:320px;padding:3px 6px}
#traces{max-height:32vh;overflow:auto;border-bottom:1px solid var(--line)}
table{border-collapse:collapse;width:100%}
#traces th,#traces td{text-align:left;padding:3px 10px;white-space:nowrap;border-bottom:1px solid var(--line)}
#traces th{position:sticky;top:0;background:#f6f8fa;font-weight:600}
#traces tr.trace{cursor:pointer}
#traces tr.trace:hover{background:#f6f8fa}
#traces tr.trace.selected{background:var(--sel)}
#traces td.num{text-align:right;font-variant-numeric:tabular-nums}
.errcount{color:var(--err);font-weight:600}
#main{display:flex;min-height:0}
#wf{flex:1;min-width:0;padding:0 0 20px 0}
#wf .title{padding:8px 14px;font-weight:600}
#wf .title .dim{font-weight:400}
.dim{color:var(--dim)}
.axis,.row{display:flex;align-items:stretch}
.axis{position:sticky;top:0;background:var(--bg);border-bottom:1px solid var(--line);z-index:2;height:22px}
.namecol{width:38%;min-width:220px;max-width:520px;flex:none;padding:2px 8px 2px 14px;overflow:hidden;white-space:nowrap;
text-overflow:ellipsis}
.track{position:relative;flex:1;min-width:0;margin-right:120px}
.tick{position:absolute;top:0;bottom:0;border-left:1px solid var(--line);font-size:11px;color:var(--dim);padding-left:3px}
.row{height:22px;cursor:pointer;border-bottom:1px solid #f3f5f7;content-visibility:auto;contain-intrinsic-size:auto 22px}
.row:hover{background:#f6f8fa}
.row.selected{background:var(--sel)}
.row .namecol .ind{display:inline-block}
.row .namecol .svc{color:var(--dim);margin-left:6px;font-size:11px}
.row .namecol .extra{color:var(--dim);margin-left:6px;font-size:11px}
.row.orphan .namecol .name::before{content:"\26A0 ";color:#b25e00}
.orphan-mark{color:#b25e00;font-size:11px;margin-left:6px}
.bar{position:absolute;top:4px;height:14px;min-width:1px;border-radius:2px;background:var(--other)}
.bar.op-chat,.bar.op-text_completion{background:var(--chat)}
.bar.op-embeddings{background:var(--embed)}
.bar.op-retrieval{background:var(--retr)}
.bar.op-execute_tool{background:var(--tool)}
.bar.op-invoke_workflow{background:var(--flow)}
.bar.error{background:var(--err)!important}
.bar.phase-child{opacity:.8}
.phase{position:absolute;top:0;bottom:0}
.phase-ollama\.load{background:var(--load)}
.phase-ollama\.prompt_eval{background:var(--pe)}
.phase-ollama\.eval{background:var(--ev)}
.ttfc{position:absolute;top:-3px;bottom:-3px;width:2px;background:#111;border-radius:1px}
.dur{position:absolute;top:3px;font-size:11px;color:var(--dim);white-space:nowrap;padding-left:4px}
#legend{display:flex;gap:12px;padding:4px 14px;color:var(--dim);font-size:11px;flex-wrap:wrap}
#legend span::before{content:"";display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px;
background:var(--c)}
#details{width:min(40%,560px);flex:none;border-left:1px solid var(--line);padding:8px 14px;overflow:auto;max-height:100vh;
position:sticky;top:0}
#details[hidden]{display:none}
#details h2{font-size:14px;margin:4px 0 8px;word-break:break-all}
#details h3{font-size:12px;margin:14px 0 4px;text-transform:uppercase;color:var(--dim)}
#details table td{padding:2px 6px;vertical-align:top;border-bottom:1px solid var(--line);font-size:12px}
#details table td:first-child{white-space:nowrap;color:var(--dim)}
#details td.v{white-space:pre-wrap;word-break:break-word;font-family:ui-monospace,monospace}
#details .close{float:right;cursor:pointer;border:none;background:none;font-size:16px}
.status-error{color:var(--err);font-weight:600}
.event{margin:4px 0;padding:4px 6px;border-left:3px solid var(--line)}
.event.exception{border-color:var(--err)}
.msg{margin:6px 0;padding:6px 8px;border-radius:6px;white-space:pre-wrap;word-break:break-word;background:#f3f5f7}
.msg .role{font-size:11px;font-weight:600;color:var(--dim);display:block;margin-bottom:2px}
.msg.user{background:#e8f0fe;margin-right:30px}
.msg.assistant{background:#eaf6ee;margin-left:30px}
.msg.system{background:#fdf6e3}
.msg.tool{background:#fbeee0}
.empty{padding:20px 14px;color:var(--dim)}
)LLMTRACE_CSS";

// The viewer. Data: {"v":1,"base_ns":"<decimal>","resources":[{"service":s,"attrs":[[k,v]...]}],
// "spans":[{"t","s","p","n","k","st","d","r","sc","a":[[k,v]],"e":[{"n","t","a"}],"l":[{"t","s","a"}],
// "code","msg"}],"dropped":n,"title":s}; st/d/e.t are nanoseconds relative to base_ns.
inline constexpr std::string_view viewer_js = R"LLMTRACE_JS(
(function(){
'use strict';
var D=JSON.parse(document.getElementById('llmtrace-data').textContent);
var OPS={chat:1,text_completion:1,embeddings:1,retrieval:1,execute_tool:1,invoke_workflow:1};
var PHASES={'ollama.load':1,'ollama.prompt_eval':1,'ollama.eval':1};
function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;
 if(text!==undefined&&text!==null)e.textContent=String(text);return e;}
function attr(s,k){var a=s.a;for(var i=0;i<a.length;i++)if(a[i][0]===k)return a[i][1];return undefined;}
function fmtDur(ns){if(!(ns>=0))return '?';if(ns<1e3)return ns+' ns';if(ns<1e6)return (ns/1e3).toFixed(ns<1e4?2:1)+' \u00b5s';
 if(ns<1e9)return (ns/1e6).toFixed(ns<1e7?2:1)+' ms';if(ns<6e10)return (ns/1e9).toFixed(2)+' s';
 var m=Math.floor(ns/6e10);return m+' min '+((ns-m*6e10)/1e9).toFixed(1)+' s';}
var baseMs=Number(D.base_ns.length>6?D.base_ns.slice(0,-6):'0');
function fmtTime(off){var d=new Date(baseMs+off/1e6);if(isNaN(d.getTime()))return '?';
 return d.toISOString().replace('T',' ').replace('Z',' UTC');}
function valText(v){if(typeof v==='string')return v;return JSON.stringify(v);}
function num(v){var n=typeof v==='number'?v:(typeof v==='string'&&v.trim()!==''?Number(v):NaN);return isFinite(n)?n:undefined;}
function gpuOf(s){for(var i=0;i<s.a.length;i++){var k=s.a[i][0];if(/gpu.*(fraction|ratio|share|percent)/i.test(k)){
 var n=num(s.a[i][1]);if(n!==undefined)return /percent/i.test(k)?n/100:n;}}return undefined;}
function costOf(s){for(var i=0;i<s.a.length;i++){var k=s.a[i][0];if(/(^|[._])cost([._]|$)/i.test(k)){var n=num(s.a[i][1]);
 if(n!==undefined)return n;}}return undefined;}
function isError(s){return s.code===2;}

// --- traces -------------------------------------------------------------------------------------
var byTrace=new Map();
D.spans.forEach(function(s,i){s.i=i;var t=byTrace.get(s.t);if(!t){t={id:s.t,spans:[]};byTrace.set(s.t,t);}t.spans.push(s);});
var traces=[];
byTrace.forEach(function(t){
 var ids=new Set();t.spans.forEach(function(s){ids.add(s.s);});
 var st=Infinity,en=-Infinity,errs=0,models=new Set(),tin=0,tout=0,cost=0,hasCost=false,root=null;
 t.spans.forEach(function(s){st=Math.min(st,s.st);en=Math.max(en,s.st+s.d);if(isError(s))errs++;
  var m=attr(s,'gen_ai.response.model')||attr(s,'gen_ai.request.model');if(typeof m==='string'&&m)models.add(m);
  var op=attr(s,'gen_ai.operation.name');
  if(op!=='invoke_workflow'){var a=num(attr(s,'gen_ai.usage.input_tokens')),b=num(attr(s,'gen_ai.usage.output_tokens'));
   if(a)tin+=a;if(b)tout+=b;}
  var c=costOf(s);if(c!==undefined&&op!=='invoke_workflow'){cost+=c;hasCost=true;}
  s.orphan=!!s.p&&!ids.has(s.p);
  if(!s.p||s.orphan){if(!root||(!s.p&&root.p)||((!!s.p===!!root.p)&&s.st<root.st))root=s;}});
 t.start=st;t.end=en;t.errors=errs;t.models=Array.from(models).sort();t.tin=tin;t.tout=tout;t.cost=hasCost?cost:undefined;
 t.root=root;var res=root?D.resources[root.r]:null;t.service=res?res.service:'';
 t.text=(t.id+' '+t.service+' '+t.models.join(' ')+' '+t.spans.map(function(s){return s.n;}).join(' ')).toLowerCase();
 traces.push(t);});
traces.sort(function(a,b){return b.start-a.start;});

var app=document.getElementById('app');
var header=el('header');header.appendChild(el('h1',null,D.title||'llmtrace traces'));
header.appendChild(el('span','meta',traces.length+' traces, '+D.spans.length+' spans'+
 (D.dropped?', '+D.dropped+' spans dropped by the exporter':'')));
app.appendChild(header);
var filters=el('div');filters.id='filters';
var q=el('input');q.type='search';q.placeholder='filter: text, trace id, span name, service';q.id='filter';
var modelSel=el('select');modelSel.id='model-filter';modelSel.appendChild(el('option',null,'all models'));modelSel.options[0].value='';
var allModels=new Set();traces.forEach(function(t){t.models.forEach(function(m){allModels.add(m);});});
Array.from(allModels).sort().forEach(function(m){var o=el('option',null,m);o.value=m;modelSel.appendChild(o);});
var errOnly=el('input');errOnly.type='checkbox';errOnly.id='errors-only';
var errLabel=el('label');errLabel.appendChild(errOnly);errLabel.appendChild(document.createTextNode(' errors only'));
var shown=el('span','dim');
filters.appendChild(q);filters.appendChild(modelSel);filters.appendChild(errLabel);filters.appendChild(shown);
app.appendChild(filters);
var listBox=el('div');listBox.id='traces';app.appendChild(listBox);
var table=el('table'),thead=el('thead'),hr=el('tr');
['Root span','Service','Start','Duration','Spans','Errors','Models','Tokens in/out','Cost'].forEach(function(h){hr.appendChild(el('th',null,h));});
thead.appendChild(hr);table.appendChild(thead);var tbody=el('tbody');table.appendChild(tbody);listBox.appendChild(table);
var mainBox=el('div');mainBox.id='main';app.appendChild(mainBox);
var wf=el('div');wf.id='wf';mainBox.appendChild(wf);
var details=el('aside');details.id='details';details.hidden=true;mainBox.appendChild(details);
var selectedTrace=null,selectedRow=null;

traces.forEach(function(t){
 var tr=el('tr','trace');tr.dataset.traceId=t.id;t.tr=tr;
 var rootName=t.root?t.root.n:'(no root)';
 tr.appendChild(el('td',null,rootName));tr.appendChild(el('td',null,t.service));
 tr.appendChild(el('td',null,fmtTime(t.start)));tr.appendChild(el('td','num',fmtDur(t.end-t.start)));
 tr.appendChild(el('td','num',t.spans.length));tr.appendChild(el('td','num'+(t.errors?' errcount':''),t.errors||''));
 tr.appendChild(el('td',null,t.models.join(', ')));
 tr.appendChild(el('td','num',(t.tin||t.tout)?t.tin+' / '+t.tout:''));
 tr.appendChild(el('td','num',t.cost!==undefined?'$'+t.cost.toFixed(t.cost<0.01?6:4):''));
 tr.addEventListener('click',function(){selectTrace(t);});tbody.appendChild(tr);});

function applyFilter(){var words=q.value.toLowerCase().split(/\s+/).filter(Boolean),m=modelSel.value,eo=errOnly.checked,n=0;
 traces.forEach(function(t){var ok=(!eo||t.errors>0)&&(!m||t.models.indexOf(m)>=0)&&
  words.every(function(w){return t.text.indexOf(w)>=0;});t.tr.hidden=!ok;if(ok)n++;});
 shown.textContent=n===traces.length?'':n+' of '+traces.length+' shown';}
q.addEventListener('input',applyFilter);modelSel.addEventListener('change',applyFilter);errOnly.addEventListener('change',applyFilter);

// --- waterfall ----------------------------------------------------------------------------------
function niceStep(range,target){var raw=range/Math.max(1,target),p=Math.pow(10,Math.floor(Math.log10(raw))),f=raw/p;
 return (f<=1?1:f<=2?2:f<=5?5:10)*p;}
function order(t){var kids=new Map(),ids=new Set(),out=[];t.spans.forEach(function(s){ids.add(s.s);});
 t.spans.forEach(function(s){if(s.p&&ids.has(s.p)){var k=kids.get(s.p);if(!k)kids.set(s.p,k=[]);k.push(s);}});
 var byStart=function(a,b){return a.st-b.st||a.i-b.i;};
 var roots=t.spans.filter(function(s){return !s.p||!ids.has(s.p);}).sort(function(a,b){return (a.orphan-b.orphan)||byStart(a,b);});
 var stack=[];for(var i=roots.length-1;i>=0;i--)stack.push([roots[i],0]);
 var seen=new Set();
 while(stack.length){var top=stack.pop(),s=top[0];if(seen.has(s.s+'/'+s.i))continue;seen.add(s.s+'/'+s.i);
  s.depth=top[1];out.push(s);var k=kids.get(s.s);if(k){k.sort(byStart);for(var j=k.length-1;j>=0;j--)stack.push([k[j],top[1]+1]);}}
 // spans in a parent cycle are never reached from a root: list them as orphans
 t.spans.forEach(function(s){if(!seen.has(s.s+'/'+s.i)){s.orphan=true;s.depth=0;out.push(s);}});
 return {rows:out,kids:kids};}
function selectTrace(t){
 if(selectedTrace&&selectedTrace.tr)selectedTrace.tr.classList.remove('selected');selectedTrace=t;t.tr.classList.add('selected');
 details.hidden=true;selectedRow=null;
 while(wf.firstChild)wf.removeChild(wf.firstChild);
 var o=order(t),range=Math.max(1,t.end-t.start);
 var title=el('div','title',t.root?t.root.n:t.id);title.appendChild(el('span','dim','  trace '+t.id+' \u00b7 '+
  fmtDur(t.end-t.start)+' \u00b7 '+t.spans.length+' spans'));wf.appendChild(title);
 var lg=el('div');lg.id='legend';
 [['chat','--chat'],['embeddings','--embed'],['retrieval','--retr'],['tool','--tool'],['workflow','--flow'],['other','--other'],
  ['error','--err'],['ollama load','--load'],['prompt eval','--pe'],['generation','--ev']].forEach(function(x){
  var s=el('span',null,x[0]);s.style.setProperty('--c','var('+x[1]+')');lg.appendChild(s);});
 var tm=el('span',null,'\u2503 time to first chunk');lg.appendChild(tm);wf.appendChild(lg);
 var axis=el('div','axis');axis.appendChild(el('div','namecol dim','span'));var at=el('div','track');axis.appendChild(at);
 var step=niceStep(range,8);for(var x=0;x<=range*1.0001;x+=step){var tk=el('div','tick',fmtDur(Math.round(x)));
  tk.style.left=(x/range*100)+'%';at.appendChild(tk);}
 wf.appendChild(axis);
 var frag=document.createDocumentFragment();
 o.rows.forEach(function(s){
  var row=el('div','row'+(s.orphan?' orphan':'')+(isError(s)?' error':''));row.dataset.spanId=s.s;row.dataset.depth=s.depth;
  row.dataset.dur=s.d;
  var nc=el('div','namecol');var ind=el('span','ind');ind.style.width=(s.depth*14)+'px';nc.appendChild(ind);
  nc.appendChild(el('span','name',s.n));
  if(s.orphan)nc.appendChild(el('span','orphan-mark',s.p?'orphan: parent '+s.p+' missing':'orphan: in a parent cycle'));
  var extra=[],model=attr(s,'gen_ai.response.model')||attr(s,'gen_ai.request.model');
  var op=attr(s,'gen_ai.operation.name');
  if(typeof model==='string'&&model&&op!=='invoke_workflow'){var tps=num(attr(s,'ollama.tokens_per_second')),g=gpuOf(s);
   var parts=[model];if(g!==undefined)parts.push('GPU '+Math.round(g*100)+'%');if(tps!==undefined)parts.push(tps.toFixed(1)+' tok/s');
   extra.push(parts.join(' \u00b7 '));}
  if(extra.length){var ex=el('span','extra',extra.join(' '));ex.classList.add('model-info');nc.appendChild(ex);}
  nc.title=s.n;row.appendChild(nc);
  var tr=el('div','track');
  var bar=el('div','bar');if(typeof op==='string'&&OPS[op])bar.classList.add('op-'+op);if(isError(s))bar.classList.add('error');
  if(PHASES[s.n]){bar.classList.add('phase-child');bar.classList.add('phase-'+s.n);}
  var l=(s.st-t.start)/range*100,w=s.d/range*100;bar.style.left=l+'%';bar.style.width=w+'%';bar.dataset.spanId=s.s;
  bar.title=s.n+' \u2014 '+fmtDur(s.d);
  var k=o.kids.get(s.s);
  if(k&&s.d>0){k.forEach(function(c){if(!PHASES[c.n])return;var ph=el('div','phase phase-'+c.n);ph.dataset.phase=c.n;
   ph.style.left=Math.max(0,(c.st-s.st)/s.d*100)+'%';ph.style.width=Math.min(100,c.d/s.d*100)+'%';
   ph.title=c.n+' '+fmtDur(c.d);bar.appendChild(ph);});}
  var ttfc=num(attr(s,'gen_ai.response.time_to_first_chunk'));
  if(ttfc!==undefined&&s.d>0){var mk=el('div','ttfc');mk.style.left=Math.min(100,ttfc*1e9/s.d*100)+'%';
   mk.title='time to first chunk '+fmtDur(Math.round(ttfc*1e9));bar.appendChild(mk);}
  tr.appendChild(bar);var du=el('span','dur',fmtDur(s.d));du.style.left=(l+w)+'%';tr.appendChild(du);
  row.appendChild(tr);row.addEventListener('click',function(){showDetails(s,row);});frag.appendChild(row);});
 wf.appendChild(frag);}

// --- details ------------------------------------------------------------------------------------
function kvTable(pairs){var tb=el('table');pairs.forEach(function(p){var r=el('tr');r.appendChild(el('td',null,p[0]));
 r.appendChild(el('td','v',valText(p[1])));tb.appendChild(r);});return tb;}
function parseMessages(v){if(typeof v!=='string')return Array.isArray(v)?v:null;try{var j=JSON.parse(v);return Array.isArray(j)?j:null;}
 catch(e){return null;}}
function partText(p){if(typeof p==='string')return p;if(!p||typeof p!=='object')return valText(p);
 if(p.type==='text'||p.content!==undefined&&typeof p.content==='string')return p.content;
 if(p.type==='tool_call')return '\u2192 tool call '+(p.name||'')+' '+valText(p.arguments===undefined?{}:p.arguments);
 if(p.type==='tool_call_response')return '\u2190 tool result '+valText(p.response===undefined?p.result:p.response);
 return valText(p);}
function transcript(box,msgs){msgs.forEach(function(m){if(!m||typeof m!=='object')return;var role=String(m.role||'message');
 var d=el('div','msg '+role.replace(/[^a-z_]/gi,''));d.appendChild(el('span','role',role+(m.finish_reason?' ('+m.finish_reason+')':'')));
 var text=Array.isArray(m.parts)?m.parts.map(partText).join('\n'):(typeof m.content==='string'?m.content:valText(m.content));
 d.appendChild(document.createTextNode(text));box.appendChild(d);});}
function showDetails(s,row){
 if(selectedRow)selectedRow.classList.remove('selected');selectedRow=row;row.classList.add('selected');
 while(details.firstChild)details.removeChild(details.firstChild);details.hidden=false;
 var close=el('button','close','\u00d7');close.title='close';close.addEventListener('click',function(){details.hidden=true;});
 details.appendChild(close);details.appendChild(el('h2',null,s.n));
 var res=D.resources[s.r]||{service:'',attrs:[]};
 var info=[['span id',s.s],['trace id',s.t],['parent',s.p?(s.orphan?s.p+' (missing from this file)':s.p):'(root)'],
  ['kind',['unspecified','internal','server','client','producer','consumer'][s.k]||s.k],['service',res.service],
  ['scope',s.sc||''],['start',fmtTime(s.st)],['duration',fmtDur(s.d)]];
 details.appendChild(kvTable(info));
 details.appendChild(el('h3',null,'Status'));
 var st=el('div',s.code===2?'status-error':null,['unset','ok','error'][s.code]||String(s.code));
 if(s.msg)st.textContent+=': '+s.msg;details.appendChild(st);
 var inMsgs=parseMessages(attr(s,'gen_ai.input.messages')),outMsgs=parseMessages(attr(s,'gen_ai.output.messages'));
 var sys=attr(s,'gen_ai.system_instructions');
 if(inMsgs||outMsgs||sys!==undefined){details.appendChild(el('h3',null,'Conversation'));var tb=el('div','transcript');
  if(sys!==undefined){var sm=parseMessages(sys);if(sm)transcript(tb,sm.map(function(p){return {role:'system',parts:[p]};}));
   else transcript(tb,[{role:'system',content:valText(sys)}]);}
  if(inMsgs)transcript(tb,inMsgs);if(outMsgs)transcript(tb,outMsgs);details.appendChild(tb);}
 details.appendChild(el('h3',null,'Attributes ('+s.a.length+')'));
 var at=kvTable(s.a);at.id='span-attributes';details.appendChild(at);
 if(s.e.length){details.appendChild(el('h3',null,'Events ('+s.e.length+')'));
  s.e.forEach(function(e){var d=el('div','event'+(e.n==='exception'?' exception':''));
   d.appendChild(el('div',null,e.n+' @ +'+fmtDur(e.t-s.st)));d.appendChild(kvTable(e.a));details.appendChild(d);});}
 if(s.l.length){details.appendChild(el('h3',null,'Links ('+s.l.length+')'));
  s.l.forEach(function(l){var d=el('div','event');d.appendChild(el('div',null,'trace '+l.t+' span '+l.s));
   d.appendChild(kvTable(l.a));details.appendChild(d);});}
 details.appendChild(el('h3',null,'Resource'));details.appendChild(kvTable(res.attrs));}

if(traces.length)selectTrace(traces[0]);else wf.appendChild(el('div','empty','No spans in this file.'));
applyFilter();
document.documentElement.dataset.rendered='1';
})();
)LLMTRACE_JS";

}  // namespace detail
}  // namespace html
LLMTRACE_END_NAMESPACE
