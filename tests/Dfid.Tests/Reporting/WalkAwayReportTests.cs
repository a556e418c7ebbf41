using System.Globalization;
using System.Text.Json;
using Dfid.Analysis;
using Dfid.Reporting;

namespace Dfid.Tests.Reporting;

/// <summary>The report's walk-away section: where it stands, what it shows, the dataset notes, the two-panel survival figure.</summary>
public sealed class WalkAwayReportTests
{
    private static ReportDocument Build(AnalysisResults results) => ReportBuilder.Build(results, ReportFixture.Inputs());

    [Fact]
    public void WalkAwaySection_StandsAfterTheDepthSectionsAndBeforeExamples()
    {
        var ids = Build(ReportFixture.Results).Sections.Select(s => s.Id).ToList();
        var walkAway = ids.IndexOf("walk-away");
        Assert.True(walkAway > ids.IndexOf("by-position") && walkAway > ids.IndexOf("robustness"), string.Join(", ", ids));
        Assert.Equal(ids.IndexOf("examples"), walkAway + 1);
    }

    [Fact]
    public void DepthOnlyResults_HaveNoWalkAwaySection_AndRolloutConditionsStayOutOfTheDepthTables()
    {
        var depthOnly = ReportFixture.Results with
        {
            Conditions = ReportFixture.Results.Conditions.Where(c => c.Mode == ConditionModes.Probe).Select(c => c with { Exits = null }).ToList(),
        };
        Assert.DoesNotContain(Build(depthOnly).Sections, s => s.Id == "walk-away");

        var doc = Build(ReportFixture.Results);
        var endpoints = doc.Tables.Single(t => t.Id == "endpoints");
        Assert.DoesNotContain(endpoints.Rows, r => r[0].Text == ReportFixture.RolloutCondition);
        Assert.Equal(3, endpoints.Rows.Count);
        var verdicts = doc.Sections.Single(s => s.Id == "verdict").Blocks.OfType<ListBlock>().Single();
        Assert.DoesNotContain(verdicts.Items, i => i[0].Text.StartsWith(ReportFixture.RolloutCondition, StringComparison.Ordinal));
        Assert.DoesNotContain(doc.Tables.Single(t => t.Id == "failures").Rows, r => r[0].Text == ReportFixture.RolloutCondition);
    }

    [Fact]
    public void WalkAwayTable_RowsShowTheirResultsJsonFields()
    {
        var c = ReportFixture.Results.Conditions.Single(x => x.Name == ReportFixture.RolloutCondition);
        var w = c.WalkAway!;
        var table = Build(ReportFixture.Results).Tables.Single(t => t.Id == "walk-away");
        string Cell(int row, string column) => table.Rows[row][table.Columns.ToList().IndexOf(column)].Text;
        Assert.Equal(3, table.Rows.Count);
        Assert.Equal("retrieval <agent>", Cell(0, "agent"));
        Assert.Equal(Fixed(w.Real.NotConverted.Rate!.Value), Cell(0, "real walk-away"));
        Assert.Equal(Fixed(w.Sim.NotConverted.Rate!.Value), Cell(0, "sim walk-away"));
        Assert.Equal(Fixed(w.Sim.Converted.Rate!.Value), Cell(1, "sim walk-away"));
        Assert.Equal(Fixed(w.Conversion.Sim.All.Rate!.Value), Cell(2, "sim conversion"));
        Assert.Equal(w.LogrankP.Stratified!.Value.ToString("F4", CultureInfo.InvariantCulture), Cell(2, "log-rank p"));
        Assert.Equal("n/a", Cell(2, "real walk-away"));

        var exits = Build(ReportFixture.Results).Tables.Single(t => t.Id == "exit-probes");
        var e = ReportFixture.Results.Conditions[0].Exits!;
        Assert.Equal(Fixed(e.NotConverted.Recall.Rate!.Value), exits.Rows[0][exits.Columns.ToList().IndexOf("recall")].Text);
        Assert.Equal("n/a", exits.Rows[1][exits.Columns.ToList().IndexOf("recall")].Text); // converted: censored, no exit point
    }

    [Fact]
    public void PersuasionForGood_GetsTheTenTurnsSentence_OtherDatasetsTheRareExitNoteOnlyWhenExitsAreRare()
    {
        static string Text(ReportDocument d) => string.Join("\n", d.Sections.Single(s => s.Id == "walk-away").Blocks.OfType<ParagraphBlock>().SelectMany(p => p.Runs).Select(r => r.Text));
        Assert.Contains("PersuasionForGood required about ten turns per chat", Text(Build(ReportFixture.Results)), StringComparison.Ordinal);

        var other = ReportFixture.Results with { Dataset = "salestalk-ja" };
        var plain = Text(Build(other));
        Assert.DoesNotContain("PersuasionForGood", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("Rare real exits", plain, StringComparison.Ordinal); // the fixture's non-converters often walk away

        var rare = other with
        {
            Conditions = other.Conditions.Select(c => c.WalkAway is { } w
                ? c with { WalkAway = w with { Real = w.Real with { NotConverted = w.Real.NotConverted with { Rate = 0.02 } } } }
                : c).ToList(),
        };
        Assert.Contains("Rare real exits", Text(Build(rare)), StringComparison.Ordinal);

        // Without a dataset in the results, the manifest's dataset counts.
        using var manifest = JsonDocument.Parse("""{"dataset":"PersuasionForGood"}""");
        var fromManifest = other with { Dataset = null, Manifest = manifest.RootElement.Clone() };
        Assert.Contains("PersuasionForGood required about ten turns per chat", Text(Build(fromManifest)), StringComparison.Ordinal);
    }

    [Fact]
    public void ExampleRollouts_StandBesideTheRealContinuation_WithTheExitMarked()
    {
        var doc = Build(ReportFixture.Results);
        var examples = doc.Tables.Where(t => t.Id.StartsWith("rollout-example-", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, examples.Count);
        var first = examples[0];
        Assert.Equal(["step", "simulated: role", "simulated", "sim stage", "real: role", "real", "real stage"], first.Columns);
        // The headline example: the real non-converter left, the simulated one did not.
        Assert.Contains(first.Rows, r => r[5].Text == "(leaves the conversation)");
        Assert.DoesNotContain(first.Rows, r => r[2].Text == "(leaves the conversation)");
        Assert.Contains(first.Rows, r => r[2].Text.Contains('<')); // corpus text reaches the document as plain text (renderers escape it)
    }

    [Fact]
    public void KaplanMeierFigure_DrawsBothPanels()
    {
        var panel = new SurvivalPanel("Non-converters <script>x</script>",
            new SurvivalSeries("real", [1, 2, 4, 6], [0.9, 0.8, 0.6, 0.6], [0.8, 0.65, 0.45, 0.45], [1, 0.95, 0.8, 0.8]),
            new SurvivalSeries("simulated", [0, 2, 6], [0.95, 0.93, 0.93], [0.9, 0.85, 0.85], [1, 1, 1]));
        var f = ReportFigures.KaplanMeier("km-test", "cond <b>", 6, [panel, panel with { Title = "Converters" }]);
        Assert.Equal(2 * ReportFigures.Width, f.Width);
        System.Xml.Linq.XDocument.Parse(f.Svg);
        Assert.DoesNotContain("<script", f.Svg, StringComparison.OrdinalIgnoreCase);
        using var bmp = SkiaSharp.SKBitmap.Decode(f.Png);
        // Each half carries its own panel: a plot must not wipe the one beside it.
        foreach (var (from, to) in new[] { (0, bmp.Width / 2), (bmp.Width / 2, bmp.Width) })
        {
            long ink = 0;
            for (var y = 0; y < bmp.Height; y++)
                for (var x = from; x < to; x++)
                {
                    var c = bmp.GetPixel(x, y);
                    if (c.Alpha > 0 && (c.Red < 235 || c.Green < 235 || c.Blue < 235)) ink++;
                }
            Assert.True(ink > 0.02 * (to - from) * bmp.Height, $"panel {from}–{to}: only {ink} drawn pixels");
        }
    }

    private static string Fixed(double v) => Math.Round((decimal)v, 3, MidpointRounding.AwayFromZero).ToString("F3", CultureInfo.InvariantCulture);
}
