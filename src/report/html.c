/* SPDX-License-Identifier: MIT */
/*
 * html.c: the page frame of the HTML reports: escaping, the head with its
 * CSS, tables that sort and filter, code blocks with a copy button, and
 * the closing script.
 *
 * The page is one self-contained file: the Content-Security-Policy in its
 * head forbids every fetch (default-src 'none'), and nothing in it names a
 * remote resource, so it opens offline and as a CI artifact. Log text is
 * escaped by the same routine as the JUnit report's XML (n1_xml_escape():
 * entities for & < > " ', U+FFFD for bytes that are not UTF-8 and for
 * control characters), which is safe in HTML text and in quoted
 * attributes. The script reads only the DOM: no log text is in it.
 */
#include <math.h>
#include <string.h>

#include "base/event.h"
#include "base/strbuf.h"
#include "base/timeutil.h"
#include "report/findings_int.h"
#include "report/html_int.h"
#include "report/junit.h"

/* U+FFFD, written when escaping itself runs out of memory. */
static const char replacement[] = "\xef\xbf\xbd";

void n1_html_textn(FILE *out, const char *s, size_t len)
{
    struct n1_strbuf sb;

    if (s == NULL || len == 0) {
        return;
    }
    n1_strbuf_init(&sb, 0);
    if (n1_xml_escape(&sb, s, len) == 0) {
        fwrite(n1_strbuf_str(&sb), 1, sb.len, out);
    } else {
        /* Never the raw bytes: a mark the reader sees as missing text. */
        fputs(replacement, out);
    }
    n1_strbuf_cleanup(&sb);
}

void n1_html_text(FILE *out, const char *s)
{
    if (s != NULL) {
        n1_html_textn(out, s, strlen(s));
    }
}

/* The style sheet: readable in light and dark schemes, printable. */
static const char css[] =
    ":root{--fg:#1d2330;--bg:#fff;--muted:#5b6475;--line:#d8dce3;"
    "--bar:#3b6fd4;--bar2:#d4813b;--code:#f4f6f9;--bad:#b3261e;"
    "--good:#1f7a3a}"
    "@media (prefers-color-scheme:dark){:root{--fg:#e3e6eb;--bg:#16191f;"
    "--muted:#9aa3b2;--line:#353b46;--bar:#6f9cf0;--bar2:#f0a865;"
    "--code:#1f242c;--bad:#f2807a;--good:#6fcf8c}}"
    "*{box-sizing:border-box}"
    "body{margin:0 auto;max-width:1200px;padding:16px 24px;color:var(--fg);"
    "background:var(--bg);font:14px/1.45 system-ui,sans-serif}"
    "h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;"
    "border-bottom:1px solid var(--line)}h3{font-size:15px;margin:20px 0 6px}"
    "dl.meta{display:grid;grid-template-columns:max-content 1fr;"
    "gap:2px 12px;margin:8px 0}dl.meta dt{color:var(--muted)}"
    "dl.meta dd{margin:0;overflow-wrap:anywhere}"
    "table{border-collapse:collapse;width:100%;margin:6px 0}"
    "th,td{border-bottom:1px solid var(--line);padding:3px 6px;"
    "text-align:left;vertical-align:top}"
    "td{overflow-wrap:anywhere}td.num,th.num{text-align:right;"
    "white-space:nowrap}"
    "th{cursor:pointer;user-select:none;white-space:nowrap}"
    "th[aria-sort=ascending]::after{content:' \\25B2'}"
    "th[aria-sort=descending]::after{content:' \\25BC'}"
    "input.filter{width:320px;max-width:100%;padding:4px 6px;margin:4px 0;"
    "color:var(--fg);background:var(--bg);border:1px solid var(--line)}"
    ".card{border:1px solid var(--line);border-radius:6px;padding:8px 14px;"
    "margin:14px 0}"
    ".code{position:relative;margin:6px 0}"
    ".code pre{background:var(--code);padding:8px 10px;overflow-x:auto;"
    "margin:0;white-space:pre-wrap;overflow-wrap:anywhere;"
    "font:12px/1.4 ui-monospace,monospace}"
    ".code .label{color:var(--muted);font-size:12px}"
    "button.copy{position:absolute;top:0;right:0;font-size:12px}"
    ".charts{display:flex;flex-wrap:wrap;gap:12px 28px}"
    ".chart{margin:4px 0}.chart figcaption{color:var(--muted);"
    "font-size:12px}"
    "svg text{fill:var(--fg);font:11px system-ui,sans-serif}"
    "svg .bar{fill:var(--bar)}svg .bar2{fill:var(--bar2)}"
    "svg .axis{stroke:var(--line)}"
    ".fail{color:var(--bad);font-weight:600}"
    ".pass{color:var(--good);font-weight:600}"
    ".muted{color:var(--muted)}"
    "@media print{input.filter,button.copy{display:none}}";

/* Sorting (click a header), filtering (the box above a table) and the
   copy buttons. It reads the DOM only; data-n1-ready on <html> tells a
   test that it ran to its end. */
static const char script[] =
    "(function(){'use strict';\n"
    "function key(row,i,num){var c=row.cells[i];if(!c){return num?"
    "-Infinity:'';}if(num){var v=parseFloat(c.getAttribute('data-v'));"
    "return isNaN(v)?-Infinity:v;}return c.textContent.toLowerCase();}\n"
    "function sortBy(th){var t=th.closest('table'),b=t.tBodies[0];"
    "var i=th.cellIndex,num=th.getAttribute('data-type')==='num';"
    "var asc=th.getAttribute('aria-sort')!=='ascending';"
    "Array.prototype.forEach.call(t.tHead.rows[0].cells,function(h){"
    "h.removeAttribute('aria-sort');});"
    "var rows=Array.prototype.slice.call(b.rows);"
    "rows.sort(function(x,y){var p=key(x,i,num),q=key(y,i,num);"
    "var r=p<q?-1:p>q?1:0;return asc?r:-r;});"
    "rows.forEach(function(r){b.appendChild(r);});"
    "th.setAttribute('aria-sort',asc?'ascending':'descending');}\n"
    "function filter(box){var t=document.getElementById("
    "box.getAttribute('data-for'));var q=box.value.toLowerCase();"
    "Array.prototype.forEach.call(t.tBodies[0].rows,function(r){"
    "r.hidden=q!==''&&r.textContent.toLowerCase().indexOf(q)<0;});}\n"
    "function said(btn,ok){btn.textContent=ok?'Copied':'Copy failed';"
    "setTimeout(function(){btn.textContent='Copy';},1500);}\n"
    "function fallback(btn,text){var a=document.createElement('textarea');"
    "a.value=text;a.setAttribute('readonly','');a.style.position='fixed';"
    "a.style.opacity='0';document.body.appendChild(a);a.select();"
    "var ok=false;try{ok=document.execCommand('copy');}catch(e){}"
    "document.body.removeChild(a);said(btn,ok);}\n"
    "function copy(btn){var text=btn.parentNode.querySelector('pre')"
    ".textContent;if(navigator.clipboard&&window.isSecureContext){"
    "navigator.clipboard.writeText(text).then(function(){said(btn,true);},"
    "function(){fallback(btn,text);});}else{fallback(btn,text);}}\n"
    "document.addEventListener('click',function(e){var t=e.target;"
    "if(t.closest('button.copy')){copy(t.closest('button.copy'));return;}"
    "var th=t.closest('th[data-type]');if(th){sortBy(th);}});\n"
    "document.addEventListener('keydown',function(e){var th=e.target;"
    "if((e.key==='Enter'||e.key===' ')&&th.matches&&"
    "th.matches('th[data-type]')){e.preventDefault();sortBy(th);}});\n"
    "document.addEventListener('input',function(e){"
    "if(e.target.matches('input.filter')){filter(e.target);}});\n"
    "document.documentElement.setAttribute('data-n1-ready','1');\n"
    "})();\n";

void n1_html_begin(FILE *out, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\""
          "default-src 'none'; style-src 'unsafe-inline'; "
          "script-src 'unsafe-inline'; img-src data:\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, "
          "initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"n1digest " N1_VERSION "\">\n"
          "<title>",
          out);
    n1_html_text(out, title);
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", css);
    n1_html_text(out, title);
    fputs("</h1>\n", out);
}

int n1_html_end(FILE *out, struct n1_error *err)
{
    fprintf(out, "<script>\n%s</script>\n</body>\n</html>\n", script);
    if (fflush(out) != 0 || ferror(out)) {
        n1_err_set(err, N1_ESYS, NULL, 0, "writing the report: output failed");
        return -1;
    }
    return 0;
}

void n1_html_table_begin(FILE *out, const char *id,
                         const struct n1_html_col *cols, size_t n)
{
    fprintf(out,
            "<input type=\"search\" class=\"filter\" data-for=\"%s\" "
            "placeholder=\"Filter rows\" aria-label=\"Filter rows\">\n"
            "<table id=\"%s\">\n<thead><tr>",
            id, id);
    for (size_t i = 0; i < n; i++) {
        fprintf(out,
                "<th scope=\"col\" tabindex=\"0\" data-type=\"%s\"%s>%s</th>",
                cols[i].numeric ? "num" : "text",
                cols[i].numeric ? " class=\"num\"" : "", cols[i].label);
    }
    fputs("</tr></thead>\n<tbody>\n", out);
}

void n1_html_table_end(FILE *out)
{
    fputs("</tbody>\n</table>\n", out);
}

void n1_html_td(FILE *out, const char *s)
{
    fputs("<td>", out);
    n1_html_text(out, s);
    fputs("</td>", out);
}

void n1_html_td_num(FILE *out, double v, const char *shown)
{
    if (isnan(v)) {
        fputs("<td class=\"num\"></td>", out);
        return;
    }
    fprintf(out, "<td class=\"num\" data-v=\"%.17g\">%s</td>", v, shown);
}

void n1_html_td_count(FILE *out, uint64_t v)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
    n1_html_td_num(out, (double)v, buf);
}

void n1_html_td_secs(FILE *out, double v)
{
    char buf[48];

    snprintf(buf, sizeof(buf), v < 1.0 ? "%.6f" : "%.3f", v);
    n1_html_td_num(out, v, buf);
}

void n1_html_td_time(FILE *out, int64_t us)
{
    char buf[N1_TS_ISO_MAX];

    if (us == N1_TS_NONE || n1_ts_format_datetime(us, buf) != 0) {
        fputs("<td></td>", out);
        return;
    }
    n1_html_td_num(out, (double)us, buf);
}

void n1_html_code(FILE *out, const char *label, const char *sql, size_t len)
{
    fputs("<div class=\"code\">", out);
    if (label != NULL) {
        fprintf(out, "<div class=\"label\">%s</div>", label);
    }
    fputs("<button type=\"button\" class=\"copy\">Copy</button><pre><code>",
          out);
    n1_html_textn(out, sql, len);
    fputs("</code></pre></div>\n", out);
}

void n1_html_fix(FILE *out, const char *sample, const char *rewrite,
                 const char *advice)
{
    if (sample != NULL) {
        n1_html_code(out, "Statement", sample, strlen(sample));
    }
    if (rewrite != NULL) {
        n1_html_code(out, "Rewrite, ready to paste", rewrite, strlen(rewrite));
    }
    if (advice != NULL) {
        fputs("<p>", out);
        n1_html_text(out, advice);
        fputs("</p>\n", out);
    }
}

void n1_html_dl_item(FILE *out, const char *term, const char *value)
{
    if (value == NULL) {
        return;
    }
    fprintf(out, "<dt>%s</dt><dd>", term);
    n1_html_text(out, value);
    fputs("</dd>\n", out);
}

/* The class that colours a verdict word: pass for verified, fail for
   differs and failed, muted for skipped and anything else. */
static const char *verdict_class(const char *word)
{
    if (strcmp(word, "verified") == 0) {
        return "pass";
    }
    if (strcmp(word, "differs") == 0 || strcmp(word, "failed") == 0) {
        return "fail";
    }
    return "muted";
}

void n1_html_verdict(FILE *out, const char *tag,
                     const struct n1_store_verdict *v)
{
    char line[N1_RF_VERDICT_MAX];

    if (v == NULL) {
        fprintf(out, "<%s data-n1-verdict=\"\">not verified</%s>", tag, tag);
        return;
    }
    n1_rf_verdict_text(v, 0, line, sizeof(line));
    fprintf(out, "<%s data-n1-verdict=\"", tag);
    n1_html_text(out, v->verdict);
    fputs("\" title=\"", out);
    n1_html_text(out, v->detail);
    fprintf(out, "\"><span class=\"%s\">", verdict_class(v->verdict));
    n1_html_text(out, line);
    fputs("</span>", out);
    if (strcmp(tag, "dd") == 0 && v->detail[0] != '\0') {
        fputs("<br><span class=\"muted\">", out);
        n1_html_text(out, v->detail);
        fputs("</span>", out);
    }
    fprintf(out, "</%s>", tag);
}
