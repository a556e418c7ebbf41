using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Dfid.Tests.Reporting;

/// <summary>
/// Every number in report.md can be traced to results.json (or instrument-validation.json) by the documented
/// rounding rules, re-implemented here independently with decimal arithmetic.
/// </summary>
public sealed class MarkdownNumbersTests
{
    [Fact]
    public async Task EveryNumberInReportMd_EqualsARoundedNumberOfResultsJson()
    {
        var files = await ReportWriterTests.WriteFixtureAsync();
        var md = await File.ReadAllTextAsync(files.Markdown);
        var values = new List<double>();
        Collect(JsonDocument.Parse(await File.ReadAllTextAsync(files.ResultsJson)).RootElement, values);
        Collect(JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(files.Directory, "instrument-validation.json"))).RootElement, values);
        var renderings = values.SelectMany(Renderings).ToHashSet(StringComparer.Ordinal);

        var checkedTokens = 0;
        foreach (var (column, cell) in NumericCells(md))
        {
            foreach (var token in Tokens(cell))
            {
                Assert.True(renderings.Contains(token), $"'{token}' (column '{column}', cell '{cell}') matches no number of results.json");
                checkedTokens++;
            }
        }
        foreach (var item in VerdictItems(md))
            foreach (Match m in Regex.Matches(item, @"(?<![\w.])[+-]?\d+(?:\.\d+)?(?![\w.])"))
            {
                Assert.True(renderings.Contains(m.Value), $"'{m.Value}' in verdict '{item}' matches no number of results.json");
                checkedTokens++;
            }
        Assert.True(checkedTokens > 300, $"only {checkedTokens} numbers checked");
    }

    [Fact]
    public async Task EndpointTable_RowsEqualTheirConditionsInResultsJson()
    {
        var files = await ReportWriterTests.WriteFixtureAsync();
        var md = await File.ReadAllTextAsync(files.Markdown);
        var json = JsonDocument.Parse(await File.ReadAllTextAsync(files.ResultsJson)).RootElement;
        var table = Tables(md).First(t => t.Header.Contains("Δ") && t.Header.Contains("verdict"));
        // Rollout conditions have their own section; the endpoint table shows the teacher-forced ones.
        var conditions = json.GetProperty("conditions").EnumerateArray().Where(c => c.GetProperty("mode").GetString() == "probe").ToList();
        Assert.Equal(conditions.Count, table.Rows.Count);
        for (var i = 0; i < conditions.Count; i++)
        {
            var c = conditions[i];
            var row = table.Rows[i];
            string Cell(string column, int nth = 0) => row[table.Header.Select((h, k) => (h, k)).Where(x => x.h == column).ElementAt(nth).k];
            Assert.Equal(c.GetProperty("name").GetString(), Cell("condition"));
            Assert.Equal(c.GetProperty("n_not_converted").GetInt32().ToString(CultureInfo.InvariantCulture), Cell("n (y=0)"));
            Assert.Equal(c.GetProperty("n_converted").GetInt32().ToString(CultureInfo.InvariantCulture), Cell("n (y=1)"));
            var delta = c.GetProperty("delta");
            Assert.Equal(Signed(Fixed(delta.GetProperty("value").GetDouble(), 3)), Cell("Δ"));
            Assert.Equal($"[{Fixed(delta.GetProperty("ci_low").GetDouble(), 3)}, {Fixed(delta.GetProperty("ci_high").GetDouble(), 3)}]", Cell("95% CI", 2));
            Assert.Equal(Fixed(c.GetProperty("cohens_d").GetProperty("value").GetDouble(), 3), Cell("d"));
            var p = c.GetProperty("p_value").GetDouble();
            Assert.Equal(p < 0.00005 ? "< 0.0001" : Fixed(p, 4), Cell("p"));
            Assert.Equal(Signed(Fixed(c.GetProperty("stratum_bias").GetProperty("not_converted").GetProperty("mean").GetDouble(), 3)), Cell("E[D̄|y=0]"));
        }
    }

    // ---- independent rounding rules (README, "Report") -------------------------------------------

    private static string Fixed(double v, int decimals)
    {
        var d = Math.Round((decimal)v, decimals, MidpointRounding.AwayFromZero);
        if (d == 0) d = 0m;
        return d.ToString("F" + decimals, CultureInfo.InvariantCulture);
    }

    private static string Signed(string s) => s.StartsWith('-') || s.All(c => c is '0' or '.') ? s : "+" + s;

    private static IEnumerable<string> Renderings(double v)
    {
        if (Math.Abs(v) > 1e15) yield break;
        var f3 = Fixed(v, 3);
        yield return f3;
        yield return Signed(f3);
        yield return Fixed(v, 4);
        if (v >= 0 && v < 0.00005) yield return "< 0.0001";
        var f1 = Fixed(v, 1);
        yield return f1 + "%";
        yield return Signed(f1) + " pp";
        if (v == Math.Floor(v))
        {
            var n = ((long)v).ToString(CultureInfo.InvariantCulture);
            yield return n;
            yield return v > 0 ? "+" + n : n;
        }
    }

    private static void Collect(JsonElement e, List<double> into)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object: foreach (var p in e.EnumerateObject()) Collect(p.Value, into); break;
            case JsonValueKind.Array: foreach (var x in e.EnumerateArray()) Collect(x, into); break;
            case JsonValueKind.Number: into.Add(e.GetDouble()); break;
        }
    }

    // ---- parsing report.md ----------------------------------------------------------------------

    private static IEnumerable<string> Tokens(string cell)
    {
        if (cell is "n/a" or "") yield break;
        var ci = Regex.Match(cell, @"^\[(\S+), (\S+)\]$");
        if (ci.Success) { yield return ci.Groups[1].Value; yield return ci.Groups[2].Value; yield break; }
        yield return cell;
    }

    internal sealed record MdTable(IReadOnlyList<string> Header, IReadOnlyList<bool> Numeric, IReadOnlyList<IReadOnlyList<string>> Rows);

    internal static IEnumerable<MdTable> Tables(string md)
    {
        var lines = md.Split('\n');
        for (var i = 0; i + 1 < lines.Length; i++)
        {
            if (!lines[i].StartsWith('|') || !Regex.IsMatch(lines[i + 1], @"^\|(-{3,}:?\|)+$")) continue;
            var header = SplitRow(lines[i]);
            var numeric = lines[i + 1].Trim('|').Split('|').Select(a => a.EndsWith(':')).ToList();
            var rows = new List<IReadOnlyList<string>>();
            var j = i + 2;
            for (; j < lines.Length && lines[j].StartsWith('|'); j++)
            {
                var row = SplitRow(lines[j]);
                Assert.Equal(header.Count, row.Count);
                rows.Add(row);
            }
            yield return new MdTable(header, numeric, rows);
            i = j;
        }
    }

    private static IEnumerable<(string Column, string Cell)> NumericCells(string md) =>
        Tables(md).SelectMany(t => t.Rows.SelectMany(r => r.Select((cell, k) => (k, cell)).Where(x => t.Numeric[x.k]).Select(x => (t.Header[x.k], x.cell))));

    private static IEnumerable<string> VerdictItems(string md)
    {
        var section = md[md.IndexOf("## 1. Verdict", StringComparison.Ordinal)..md.IndexOf("## 2.", StringComparison.Ordinal)];
        // Drop the bold condition name: names may contain digits of their own.
        return section.Split('\n').Where(l => l.StartsWith("- **", StringComparison.Ordinal))
            .Select(l => Unescape(l[(l.IndexOf(":**", StringComparison.Ordinal) + 3)..]));
    }

    private static List<string> SplitRow(string line)
    {
        var cells = new List<string>();
        var cur = new System.Text.StringBuilder();
        for (var i = 1; i < line.Length; i++)
        {
            if (line[i] == '\\' && i + 1 < line.Length) { cur.Append(line[i]).Append(line[++i]); continue; }
            if (line[i] == '|') { cells.Add(Unescape(cur.ToString().Trim())); cur.Clear(); continue; }
            cur.Append(line[i]);
        }
        return cells;
    }

    private static string Unescape(string s) => Regex.Replace(s, @"\\([!-/:-@\[-`{-~])", "$1");
}
