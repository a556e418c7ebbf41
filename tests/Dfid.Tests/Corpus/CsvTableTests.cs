using Dfid.Corpus.Importers;

namespace Dfid.Tests.Corpus;

public class CsvTableTests
{
    [Fact]
    public void Parse_QuotedCommasQuotesAndLineBreaks_Rfc4180()
    {
        var csv = "a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n2,\"two\nlines\",\r\n3,,\"\"\n";

        var table = CsvTable.Parse(new StringReader(csv), "t.csv");

        Assert.Equal(["a", "b", "c"], table.Header);
        Assert.Equal(["1", "x, y", "say \"hi\""], table.Records[0].Fields);
        Assert.Equal(["2", "two\nlines", ""], table.Records[1].Fields);
        Assert.Equal(["3", "", ""], table.Records[2].Fields);
        Assert.Equal([2, 3, 5], table.Records.Select(r => r.Line));
    }

    [Fact]
    public void Parse_LastLineWithoutNewline_IsRead()
    {
        var table = CsvTable.Parse(new StringReader("a,b\n1,2"), "t.csv");
        Assert.Equal(["1", "2"], Assert.Single(table.Records).Fields);
    }

    [Fact]
    public void Parse_UnclosedQuote_NamesTheLine()
    {
        var ex = Assert.Throws<DfidException>(() => CsvTable.Parse(new StringReader("a,b\n1,2\n3,\"open\n"), "t.csv"));
        Assert.Contains("t.csv:3:", ex.Message);
    }

    [Fact]
    public void RequiredColumn_Missing_ListsColumnsFound()
    {
        var table = CsvTable.Parse(new StringReader("x,y\n1,2\n"), "t.csv");
        var ex = Assert.Throws<DfidException>(() => table.RequiredColumn("turn_index"));
        Assert.Contains("t.csv:1: missing column \"turn_index\" (columns found: x, y)", ex.Message);
    }
}
