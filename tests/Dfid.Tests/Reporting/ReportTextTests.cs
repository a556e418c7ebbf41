using Dfid.Reporting;

namespace Dfid.Tests.Reporting;

public sealed class ReportTextTests
{
    [Theory]
    [InlineData("<script>x</script>", "&lt;script&gt;x&lt;/script&gt;")]
    [InlineData("a & b \"c\" 'd'", "a &amp; b &quot;c&quot; &#39;d&#39;")]
    [InlineData("&lt;", "&amp;lt;")]
    [InlineData("bell\u0007here", "bell\uFFFDhere")]
    [InlineData("emoji \U0001F600 kept", "emoji \U0001F600 kept")]
    [InlineData("two\nlines\ttab", "two\nlines\ttab")]
    public void Html_EscapesMarkupAndControls(string input, string expected) => Assert.Equal(expected, ReportText.Html(input));

    [Fact]
    public void Html_ReplacesLoneSurrogate() => Assert.Equal("lone \uFFFD surrogate", ReportText.Html("lone " + (char)0xD800 + " surrogate"));

    [Theory]
    [InlineData("# heading", "\\# heading")]
    [InlineData("> quote", "\\> quote")]
    [InlineData("- item", "\\- item")]
    [InlineData("1. item", "1\\. item")]
    [InlineData("12) item", "12\\) item")]
    [InlineData("[x](javascript:alert(1))", "\\[x\\](javascript:alert(1))")]
    [InlineData("| a | b |", "\\| a \\| b \\|")]
    [InlineData("`code`", "\\`code\\`")]
    [InlineData("<img src=x>", "\\<img src=x\\>")]
    [InlineData("*em* _em_ ~~del~~ $m$", "\\*em\\* \\_em\\_ \\~\\~del\\~\\~ \\$m\\$")]
    [InlineData("&amp;", "\\&amp;")]
    [InlineData("back\\slash", "back\\\\slash")]
    [InlineData("line one\nline two\r\n- three", "line one line two - three")] // joined lines: the dash is mid-line, inert
    public void Markdown_EscapesInlineAndLineStartSyntax(string input, string expected) => Assert.Equal(expected, ReportText.Markdown(input));

    [Theory]
    [InlineData("-0.187", "-0.187")]
    [InlineData("# not a heading in a cell", "# not a heading in a cell")]
    [InlineData("a|b", "a\\|b")]
    public void Markdown_InTableCell_LeavesLineStartSyntax(string input, string expected) => Assert.Equal(expected, ReportText.Markdown(input, atLineStart: false));

    [Theory]
    [InlineData("plain", "```")]
    [InlineData("has ``` inside", "````")]
    [InlineData("has ````` five", "``````")]
    public void Fence_IsLongerThanAnyBacktickRun(string text, string fence) => Assert.Equal(fence, ReportText.Fence(text));

    [Theory]
    [InlineData("plain", false, "plain")]
    [InlineData("a,b", false, "\"a,b\"")]
    [InlineData("say \"hi\"", false, "\"say \"\"hi\"\"\"")]
    [InlineData("=HYPERLINK(\"x\")", false, "\"'=HYPERLINK(\"\"x\"\")\"")]
    [InlineData("+1 more", false, "'+1 more")]
    [InlineData("-0.25", true, "-0.25")]
    [InlineData("two\nlines", false, "\"two\nlines\"")]
    public void Csv_QuotesAndDefusesFormulas(string text, bool isNumber, string expected) => Assert.Equal(expected, ReportText.Csv(text, isNumber));
}
