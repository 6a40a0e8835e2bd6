"""bot.webchat.tg_html must accept, refuse and report exactly like Telegram.

Many cases are TDLib's own parse_html tests (td/test/message_entities.cpp), so a
bot that passes against the stand-in also passes against the real server.
"""

import html
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.webchat.tg_html import EntityParseError, ParsedText, parse_html, parse_plain

PREFIX = "Bad Request: can't parse entities: "


def ent(type_: str, offset: int, length: int, **extra: str) -> dict:
    return {"type": type_, "offset": offset, "length": length, **extra}


def refused(source: str) -> str:
    with pytest.raises(EntityParseError) as caught:
        parse_html(source)
    assert str(caught.value) == caught.value.description
    assert caught.value.description.startswith(PREFIX)
    return caught.value.description.removeprefix(PREFIX)


# ---------------------------------------------------------------- plain text


def test_plain_text_is_kept_as_is_and_escaped_for_the_page():
    parsed = parse_plain("<b>1 & 2</b>\n")
    assert parsed == ParsedText("<b>1 & 2</b>\n", [], "&lt;b&gt;1 &amp; 2&lt;/b&gt;\n")


def test_html_without_tags():
    assert parse_html("") == ParsedText("", [], "")
    assert parse_html("➡️ ➡️\nline") == ParsedText("➡️ ➡️\nline", [], "➡️ ➡️\nline")


# ---------------------------------------------------------------- each tag


@pytest.mark.parametrize(
    ("tag", "type_", "page_tag"),
    [
        ("b", "bold", "b"),
        ("strong", "bold", "b"),
        ("i", "italic", "i"),
        ("em", "italic", "i"),
        ("u", "underline", "u"),
        ("ins", "underline", "u"),
        ("s", "strikethrough", "s"),
        ("strike", "strikethrough", "s"),
        ("del", "strikethrough", "s"),
        ("code", "code", "code"),
        ("pre", "pre", "pre"),
        ("blockquote", "blockquote", "blockquote"),
    ],
)
def test_simple_tag(tag, type_, page_tag):
    parsed = parse_html(f"a <{tag}>bc</{tag}> d")
    assert parsed.text == "a bc d"
    assert parsed.entities == [ent(type_, 2, 2)]
    assert parsed.html == f"a <{page_tag}>bc</{page_tag}> d"


@pytest.mark.parametrize(
    "source", ["<tg-spoiler>x</tg-spoiler>", '<span class="tg-spoiler">x</span>']
)
def test_spoiler(source):
    parsed = parse_html(source)
    assert parsed.entities == [ent("spoiler", 0, 1)]
    assert parsed.html == '<span class="tg-spoiler">x</span>'


def test_span_needs_the_spoiler_class():
    assert refused("<span>x</span>") == 'Tag "span" must have class "tg-spoiler" at byte offset 0'
    assert refused('a<span class="bold">x</span>') == (
        'Tag "span" must have class "tg-spoiler" at byte offset 1'
    )


def test_link():
    parsed = parse_html('<a href="https://example.com/a?b=1&amp;c=2">site</a>')
    assert parsed.text == "site"
    assert parsed.entities == [ent("text_link", 0, 4, url="https://example.com/a?b=1&c=2")]
    assert parsed.html == '<a href="https://example.com/a?b=1&amp;c=2">site</a>'


@pytest.mark.parametrize(
    ("source", "url"),
    [
        ("<a href=telegram.org>x</a>", "http://telegram.org/"),  # TDLib's own case
        ('<a href  ="telegram.org"   >x</a>', "http://telegram.org/"),
        ("<a   href=  'telegram.org?&lt;'   >x</a>", "http://telegram.org/?<"),
        ("<a href='HTTPS://Example.com/Path'>x</a>", "https://Example.com/Path"),
        ('<a href="tg://user?id=123">x</a>', "tg://user?id=123"),
        ('<a href="mailto:a@example.com">x</a>', "mailto:a@example.com"),
        ("<a>https://telegram.org/a?b#c</a>", "https://telegram.org/a?b#c"),  # the text is the url
        ("<a>telegram.org</a>", "http://telegram.org/"),
    ],
)
def test_link_urls_are_normalised_like_telegram(source, url):
    (entity,) = parse_html(source).entities
    assert entity["url"] == url


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JavaScript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        "ftp://example.com/",
        "/relative",
        "http://exa mple.com/",
        "http://[::1",
    ],
)
def test_a_link_telegram_cannot_check_is_dropped_to_its_text(href):
    parsed = parse_html(f'go <a href="{html.escape(href)}">here</a>!')
    assert parsed.text == "go here!"
    assert parsed.entities == []
    assert parsed.html == "go here!"


def test_an_empty_href_falls_back_to_text_that_is_no_url():
    assert parse_html("<a>telegram.org </a>").entities == []
    assert parse_html("<a> </a>").entities == []


def test_a_link_href_is_escaped_in_the_page():
    parsed = parse_html("<a href='https://x.org/?q=\"><script>'>x</a>")
    assert parsed.entities == [ent("text_link", 0, 1, url='https://x.org/?q="><script>')]
    assert parsed.html == '<a href="https://x.org/?q=&quot;&gt;&lt;script&gt;">x</a>'


def test_pre_with_a_language():
    parsed = parse_html('<pre><code class="language-python">x = 1 &lt; 2</code></pre>')
    assert parsed.text == "x = 1 < 2"
    assert parsed.entities == [ent("pre", 0, 9, language="python")]
    assert parsed.html == '<pre><code class="language-python">x = 1 &lt; 2</code></pre>'


def test_pre_with_a_language_the_other_way_round_and_with_short_end_tags():
    parsed = parse_html('<code class="language-fift"><pre>x</></>')
    assert parsed.entities == [ent("pre", 0, 1, language="fift")]


def test_pre_and_code_without_a_language_stay_two_entities():
    assert parse_html("<pre><code>x</code></pre>").entities == [ent("pre", 0, 1), ent("code", 0, 1)]
    parsed = parse_html('<pre><code class="language-">x</code></pre>')
    assert parsed.entities == [ent("pre", 0, 1), ent("code", 0, 1)]
    assert parsed.html == "<pre><code>x</code></pre>"


def test_a_language_counts_only_when_code_fills_the_pre():
    parsed = parse_html('<pre><code class="language-go">x</code> </pre>')
    assert parsed.entities == [ent("pre", 0, 2), ent("code", 0, 1)]
    parsed = parse_html('<code class="language-go">y</code>')
    assert parsed.entities == [ent("code", 0, 1)]
    assert parsed.html == "<code>y</code>"


def test_a_hostile_language_is_escaped():
    parsed = parse_html("<pre><code class='language-\"><img src=x>'>x</code></pre>")
    assert parsed.entities[0]["language"] == '"><img src=x>'
    assert parsed.html == ('<pre><code class="language-&quot;&gt;&lt;img src=x&gt;">x</code></pre>')


@pytest.mark.parametrize(
    "source",
    [
        "<blockquote expandable>x</blockquote>",
        "<blockquote   expandable   asd>x</blockquote>",
        "<blockquote expandable=false>x</blockquote>",  # any value, as in TDLib
        "<BLOCKQUOTE expandable>x</blockquote>",
    ],
)
def test_expandable_blockquote(source):
    parsed = parse_html(source)
    assert parsed.entities == [ent("expandable_blockquote", 0, 1)]
    assert parsed.html == '<blockquote class="expandable">x</blockquote>'


def test_unknown_attributes_are_ignored():
    parsed = parse_html('<blockquote cite="" askdlbas nj12b3>a&lt;<pre  >b;</></>')
    assert parsed.text == "a<b;"
    assert parsed.entities == [ent("blockquote", 0, 4), ent("pre", 2, 2)]
    assert parse_html("<b aba   =   caba>x</b>").entities == [ent("bold", 0, 1)]


def test_custom_emoji():
    parsed = parse_html('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>!')
    assert parsed.text == "👍!"
    assert parsed.entities == [ent("custom_emoji", 0, 2, custom_emoji_id="5368324170671202286")]
    assert parsed.html == "👍!"


@pytest.mark.parametrize(
    "emoji_id", ["x", "", "0", "-5", "+5", "025", "1.0", "9223372036854775808"]
)
def test_custom_emoji_needs_a_positive_int64_id(emoji_id):
    source = f'<tg-emoji emoji-id="{emoji_id}">👍</tg-emoji>'
    assert refused(source) == "Invalid custom emoji identifier specified"


def test_custom_emoji_without_content_is_not_checked():
    assert parse_html('<tg-emoji emoji-id="x"></tg-emoji>').entities == []


# ---------------------------------------------------------------- syntax


@pytest.mark.parametrize(
    "source",
    [
        "<B>x</B>",
        "<b>x</B>",
        "<Strong>x</STRONG>",
        "<b>x</>",
        "<b>x</b   >",
        "<b>x</    >",
        "<b\t>x</b\n>",
    ],
)
def test_tag_names_ignore_case_and_end_tags_may_be_short(source):
    assert parse_html(source).entities == [ent("bold", 0, 1)]


@pytest.mark.parametrize(
    "source",
    [
        '<a href="https://t.me/x">x</a>',
        "<a href='https://t.me/x'>x</a>",
        "<a href=t.me>x</a>",
        "<a href = 'https://t.me/x' >x</a>",
    ],
)
def test_attribute_quoting(source):
    (entity,) = parse_html(source).entities
    assert entity["url"] in ("https://t.me/x", "http://t.me/")


def test_an_unquoted_value_is_lowered_and_a_quoted_one_is_not():
    assert parse_html("<span class=TG-Spoiler>x</span>").entities == [ent("spoiler", 0, 1)]
    assert refused("<span class='TG-Spoiler'>x</span>").startswith('Tag "span" must have')
    assert parse_html("<a href=T.ME>x</a>").entities[0]["url"] == "http://t.me/"


def test_a_quoted_value_may_hold_tag_characters_and_references():
    parsed = parse_html("<a href=\"https://t.me/?a='<>'&quot;\">x</a>")
    assert parsed.entities[0]["url"] == "https://t.me/?a='<>'\""


def test_nesting_gives_nested_entities_outer_first():
    parsed = parse_html("<b>bold <i>both <u>all</u></i></b> <s>x</s>")
    assert parsed.text == "bold both all x"
    assert parsed.entities == [
        ent("bold", 0, 13),
        ent("italic", 5, 8),
        ent("underline", 10, 3),
        ent("strikethrough", 14, 1),
    ]
    assert parsed.html == "<b>bold <i>both <u>all</u></i></b> <s>x</s>"


def test_equal_spans_keep_the_outer_tag_first():
    parsed = parse_html("<i><b><code> </code></b></i><code><b> </b></code>")
    assert parsed.entities == [
        ent("italic", 0, 1),
        ent("bold", 0, 1),
        ent("code", 0, 1),
        ent("code", 1, 1),
        ent("bold", 1, 1),
    ]
    assert parsed.html == "<i><b><code> </code></b></i><code><b> </b></code>"


def test_a_link_nested_in_bold():
    parsed = parse_html('<b>see <a href="https://t.me/">this</a></b>')
    assert parsed.entities == [ent("bold", 0, 8), ent("text_link", 4, 4, url="https://t.me/")]
    assert parsed.html == '<b>see <a href="https://t.me/">this</a></b>'


def test_empty_entities_are_dropped():
    parsed = parse_html("a<b></b><i><u></u></i>b")
    assert parsed == ParsedText("ab", [], "ab")


def test_whitespace_is_kept_and_newlines_stay_newlines():
    parsed = parse_html("<i>\t</i>\n<b>\n</b>\r\n")
    assert parsed.text == "\t\n\n\r\n"
    assert parsed.entities == [ent("italic", 0, 1), ent("bold", 2, 1)]
    assert parsed.html == "<i>\t</i>\n<b>\n</b>\r\n"


# ---------------------------------------------------------------- references


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("&lt;&gt;&amp;&quot;", '<>&"'),
        ("&lt&gt", "<>"),  # the ";" is optional
        ("&lt1", "<1"),
        ("&#65;&#x42;&#67", "ABC"),
        ("&#128512;&#x1F600;", "😀😀"),
        ("&#X41;", "&#X41;"),  # only a lowercase x
        ("&ge;&laquo;&nbsp;&copy&Or;", "&ge;&laquo;&nbsp;&copy&Or;"),  # only four named ones
        ("&LT;&apos;", "&LT;&apos;"),
        ("&#12345678;&#0;&#;&#x;&#x10FFFF;", "&#12345678;&#0;&#;&#x;&#x10FFFF;"),
        ("&#00000065;", "&#00000065;"),  # ten characters or more stay text
        ("&#0000065;", "A"),
        ("Tom & Jerry &", "Tom & Jerry &"),
        ("a > b", "a > b"),
    ],
)
def test_references(source, text):
    parsed = parse_html(source)
    assert parsed.text == text
    assert parsed.entities == []
    assert parsed.html == html.escape(text, quote=False)


def test_a_decoded_tag_is_text_and_comes_out_escaped():
    parsed = parse_html("<b>&lt;script&gt;alert(1)&lt;/script&gt;</b>&lt;img src=x onerror=y&gt;")
    assert parsed.text == "<script>alert(1)</script><img src=x onerror=y>"
    assert "<script" not in parsed.html and "<img" not in parsed.html
    assert parsed.html == (
        "<b>&lt;script&gt;alert(1)&lt;/script&gt;</b>&lt;img src=x onerror=y&gt;"
    )


@pytest.mark.parametrize("source", ["&#57311;", "&#xDFDF;", "&#xD83D;&#xDE00;", "<b>&#xD800</b>"])
def test_a_decoded_surrogate_is_refused(source):
    assert refused(source) == (
        "Text contains invalid Unicode characters after decoding HTML entities, "
        "check for unmatched surrogate code units"
    )


# ---------------------------------------------------------------- UTF-16 offsets


def test_offsets_and_lengths_count_utf16_code_units():
    parsed = parse_html("<b>你好😀</b>x")
    assert parsed.text == "你好😀x"
    assert parsed.entities == [ent("bold", 0, 4)]


def test_offsets_after_astral_characters():
    # TDLib's own case: 🏟 is two UTF-16 units, ➡️ is two characters of one unit.
    parsed = parse_html("🏟 🏟<i>🏟 &gt;<b aba   =   caba>&lt🏟</b></i>")
    assert parsed.text == "🏟 🏟🏟 ><🏟"
    assert parsed.entities == [ent("italic", 5, 7), ent("bold", 9, 3)]
    assert parse_html("➡️ ➡️<i>➡️ ➡️</i>").entities == [ent("italic", 5, 5)]
    assert parse_html("&#x1F600;<b>x</b>").entities == [ent("bold", 2, 1)]


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("source", "description"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("line<BR/>", 'Unsupported start tag "br/" at byte offset 4'),
        ("<b/>", 'Unsupported start tag "b/" at byte offset 0'),
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("<div class='x'>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("<tg-time unix=1>x</tg-time>", 'Unsupported start tag "tg-time" at byte offset 0'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),  # TDLib reads an empty name
        ("привет <br>", 'Unsupported start tag "br" at byte offset 13'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<i>a</EM   >", 'Unmatched end tag at byte offset 4, expected "</i>", found "</em>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b></b></", "Unexpected end tag at byte offset 7"),
        ("🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</i>", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x<i>", 'Can\'t find end tag corresponding to start tag "i"'),
        ("<i    aba>", 'Can\'t find end tag corresponding to start tag "i"'),
        ("<", "Unclosed start tag at byte offset 0"),
        ("x <b", "Unclosed start tag at byte offset 2"),
        ("2 <3", "Unclosed start tag at byte offset 2"),
        ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
        ('<a href="x"', "Unclosed start tag at byte offset 0"),
        ("<a href='x>y</a>", "Unclosed start tag at byte offset 0"),
        ("<a href", 'Unclosed start tag "a" at byte offset 0'),
        ("<i    aba  =  ", 'Unclosed start tag "i" at byte offset 0'),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<i>a</i   ", "Unclosed end tag at byte offset 4"),
        ('<a ="x">y</a>', 'Empty attribute name in the tag "a" at byte offset 0'),
        ("<b ", 'Empty attribute name in the tag "b" at byte offset 0'),
        ('<a href="x"/>y</a>', 'Empty attribute name in the tag "a" at byte offset 0'),
        ("<a href=x/>y</a>", "Unexpected end of name token at byte offset 8"),
        ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
    ],
)
def test_errors_use_telegrams_wording_and_utf8_byte_offsets(source, description):
    assert refused(source) == description


def test_the_error_is_a_value_error_with_the_full_description():
    with pytest.raises(ValueError, match="^Bad Request: can't parse entities: Unsupported"):
        parse_html("<foo>")
    try:
        parse_html("<foo>")
    except EntityParseError as error:
        assert error.description == (
            'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 0'
        )


# ---------------------------------------------------------------- properties

PAGE_TAGS = {"b", "i", "u", "s", "code", "pre", "blockquote", "span", "a"}
PAGE_CLASSES = {"tg-spoiler", "expandable"}


class PageReader(HTMLParser):
    """What a browser would see in ParsedText.html: its tags and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def assert_safe_page(parsed: ParsedText) -> None:
    reader = PageReader()
    reader.feed(parsed.html)
    reader.close()
    assert "".join(reader.text) == parsed.text
    for tag, attrs in reader.tags:
        assert tag in PAGE_TAGS
        for name, value in attrs:
            if name == "href":
                assert tag == "a"
                assert value.lower().startswith(("http://", "https://", "tg:", "mailto:"))
            else:
                assert name == "class"
                assert value in PAGE_CLASSES or (tag == "code" and value.startswith("language-"))


MARKUP = st.lists(
    st.sampled_from(
        [
            *"<>/&;#x=\"' \nab1",
            "😀",
            "你",
            "<b>",
            "</b>",
            "<i>",
            "</i>",
            "</>",
            "<pre>",
            "</pre>",
            '<code class="language-py">',
            "</code>",
            "<a href='https://t.me/?q=\"'>",
            "<a href=javascript:alert(1)>",
            "<a>",
            "</a>",
            "<tg-spoiler>",
            "<span class=tg-spoiler>",
            "</span>",
            "<blockquote expandable>",
            "</blockquote>",
            "&lt;script&gt;",
            "&#x1F600;",
            "&amp",
        ]
    )
).map("".join)


@given(st.one_of(st.text(), MARKUP))
def test_any_text_parses_to_a_safe_page_or_raises_entity_parse_error(source):
    try:
        parsed = parse_html(source)
    except EntityParseError as error:
        assert error.description.startswith(PREFIX)
        return
    assert_safe_page(parsed)
    for entity in parsed.entities:
        assert entity["length"] > 0
        assert entity["offset"] + entity["length"] <= len(parsed.text.encode("utf-16-le")) // 2


@given(st.text())
def test_escaped_text_round_trips(text):
    parsed = parse_html(html.escape(text, quote=False))
    assert parsed.text == text
    assert parsed.entities == []
    assert parsed.html == html.escape(text, quote=False)


@given(st.text())
def test_plain_text_gives_a_safe_page(text):
    assert_safe_page(parse_plain(text))


TAG_TYPES = {"b": "bold", "code": "code", "pre": "pre", "tg-spoiler": "spoiler"}


@given(st.text(), st.sampled_from(sorted(TAG_TYPES)))
def test_a_tag_around_escaped_text_covers_its_utf16_length(text, tag):
    parsed = parse_html(f"x<{tag}>{html.escape(text, quote=False)}</{tag}>")
    assert parsed.text == "x" + text
    length = len(text.encode("utf-16-le")) // 2
    assert parsed.entities == ([ent(TAG_TYPES[tag], 1, length)] if length else [])


def test_an_international_phone_number_is_a_tel_link_as_telegram_clients_show_it():
    """A phone follow-up card shows the mobile as +86 …: Telegram's clients make it a phone
    link (a `phone_number` entity); the page a tel: link. Inside a link or code it stays text."""
    parsed = parse_html("手机：<b>+86 13812345671</b> <code>+86 13800000000</code>")
    assert {"type": "phone_number", "offset": 3, "length": 15} in parsed.entities
    assert '<b><a href="tel:+8613812345671">+86 13812345671</a></b>' in parsed.html
    assert "<code>+86 13800000000</code>" in parsed.html
    assert 'href="tel:+8613812345678"' in parse_plain("call +86-138-1234-5678").html
    assert "tel:" not in parse_plain("138****5671, 13812345671").html
