#!/bin/sh
# Regenerate page_html.h from page.html (run after editing the page; the
# viewer test checks that the two agree). Usage: sh src/viewer/gen_page.sh
cd "$(dirname "$0")" || exit 1
{
    echo "/* Generated from page.html by gen_page.sh: do not edit. */"
    echo "#ifndef SKELACT_VIEWER_PAGE_HTML_H"
    echo "#define SKELACT_VIEWER_PAGE_HTML_H"
    echo "static const char sk__viewer_page[] ="
    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/\\n"/' page.html
    echo "    ;"
    echo "#endif"
} >page_html.h
