using System.Text;
using ScottPlot;

namespace Dfid.Reporting;

/// <summary>One condition's stratum means of D̄ with their 95% intervals (figure 1 input).</summary>
internal sealed record StratumMeansPoint(string Condition, Interval NonConverters, Interval Converters);

/// <summary>An estimate with its 95% interval; any part may be missing (NaN).</summary>
internal readonly record struct Interval(double Estimate, double Lower, double Upper);

/// <summary>One stacked bar of stage shares (sums to 1 when complete), in stage order resisting → deciding.</summary>
internal sealed record StageBar(string Label, IReadOnlyList<double> Shares);

/// <summary>One condition's Δ by probe position (positions as fractions 0.3/0.6/0.9).</summary>
internal sealed record PositionSeries(string Condition, IReadOnlyList<double> Positions, IReadOnlyList<Interval> Delta);

/// <summary>
/// The report's figures, drawn with ScottPlot: readable axes with units, legends, Okabe–Ito colours
/// (safe for the common colour-vision deficiencies), SVG for the HTML and PNG for slides.
/// </summary>
/// <remarks>The figures only draw what they are given; binning the histogram is the one layout step.</remarks>
internal static partial class ReportFigures
{
    public const int Width = 820;
    public const int Height = 500;

    /// <summary>Okabe &amp; Ito (2008) palette.</summary>
    public static readonly Color Orange = Color.FromHex("#E69F00"), SkyBlue = Color.FromHex("#56B4E9"),
        Green = Color.FromHex("#009E73"), Yellow = Color.FromHex("#F0E442"), Blue = Color.FromHex("#0072B2"),
        Vermillion = Color.FromHex("#D55E00"), Purple = Color.FromHex("#CC79A7"), Black = Color.FromHex("#000000");

    /// <summary>Non-converters / converters, used the same way in every figure.</summary>
    public static readonly Color NonConverterColor = Vermillion, ConverterColor = Blue;

    /// <summary>Stages resisting → deciding: warm to cool, distinguishable in greyscale by lightness too.</summary>
    public static readonly Color[] StageColors = [Vermillion, Orange, Yellow, SkyBlue, Blue];

    public static readonly string[] StageNames = ["resisting", "exploring", "engaging", "considering", "deciding"];

    private static readonly Color[] SeriesColors = [Blue, Vermillion, Green, Purple, Orange, SkyBlue, Black, Yellow];

    public static ReportFigure StratumMeans(IReadOnlyList<StratumMeansPoint> points)
    {
        using var plot = NewPlot();
        const double offset = 0.12;
        var nonConv = points.Select((p, i) => (x: i - offset, v: p.NonConverters)).ToArray();
        var conv = points.Select((p, i) => (x: i + offset, v: p.Converters)).ToArray();
        AddPointsWithErrors(plot, nonConv, NonConverterColor, MarkerShape.FilledCircle, "non-converters (y = 0)");
        AddPointsWithErrors(plot, conv, ConverterColor, MarkerShape.FilledSquare, "converters (y = 1)");
        ZeroLine(plot, "perfect decision fidelity", -0.58);
        plot.Axes.Bottom.SetTicks(points.Select((_, i) => (double)i).ToArray(), points.Select(p => Label(p.Condition)).ToArray());
        plot.Axes.SetLimitsX(-0.6, Math.Max(points.Count, 1) - 0.4);
        plot.XLabel("condition");
        plot.YLabel("mean D̄ (stages, sim − real)");
        plot.Title("Stratum means of D̄ with 95% CIs");
        plot.ShowLegend(Edge.Bottom);
        return Finish(plot, "stratum-means", "Stratum means of D̄ with 95% CIs",
            "Mean conversation-level depth gap D̄ = δ(sim) − δ(real), in funnel stages, per outcome stratum and condition; bars are bootstrap 95% CIs. Points above the dashed zero line: simulated users sit deeper in the funnel than the real ones.",
            "Dot plot of mean D̄ per condition for non-converters and converters with 95% confidence intervals and a zero line labelled perfect decision fidelity.");
    }

    /// <summary>Histogram of D̄ per stratum from the analysis' bins (edges and counts); empty outer bins are trimmed.</summary>
    public static ReportFigure Distribution(string condition, IReadOnlyList<double> edges, IReadOnlyList<int> nonConverters, IReadOnlyList<int> converters)
    {
        using var plot = NewPlot();
        var bins = Math.Min(edges.Count - 1, Math.Min(nonConverters.Count, converters.Count));
        var used = Enumerable.Range(0, Math.Max(bins, 0)).Where(i => nonConverters[i] + converters[i] > 0).ToArray();
        int first = used.Length == 0 ? 0 : used.Min(), last = used.Length == 0 ? bins - 1 : used.Max();
        void Hist(IReadOnlyList<int> counts, Color color, bool left, string legend)
        {
            var total = counts.Take(bins).Sum();
            var bars = Enumerable.Range(first, Math.Max(last - first + 1, 0)).Select(i =>
            {
                var width = edges[i + 1] - edges[i];
                var centre = (edges[i] + edges[i + 1]) / 2;
                return new Bar
                {
                    Position = centre + (left ? -width * 0.21 : width * 0.21),
                    Value = total == 0 ? 0 : counts[i] * 100.0 / total,
                    Size = width * 0.42,
                    FillColor = color,
                    LineWidth = 0,
                };
            }).ToArray();
            var bp = plot.Add.Bars(bars);
            bp.LegendText = $"{legend}, n = {total}";
        }
        Hist(nonConverters, NonConverterColor, left: true, "non-converters (y = 0)");
        Hist(converters, ConverterColor, left: false, "converters (y = 1)");
        var zero = plot.Add.VerticalLine(0, 1.5f, Black, LinePattern.Dashed);
        zero.LegendText = "D̄ = 0 (real and simulated at the same stage)";
        plot.Axes.Margins(bottom: 0);
        plot.XLabel("conversation-level D̄ (stages, sim − real)");
        plot.YLabel("share of conversations in stratum (%)");
        plot.Title("Distribution of D̄: " + Label(condition));
        plot.ShowLegend(Edge.Bottom);
        return Finish(plot, "dbar-distribution", "Distribution of conversation-level D̄ — " + condition,
            "Histogram of D̄ per conversation, as a share of each outcome stratum (bins as in results.json), for condition " + condition + ".",
            "Histogram of conversation-level D̄ for non-converters and converters in condition " + condition + ".");
    }

    public static ReportFigure StageDistribution(string id, string title, IReadOnlyList<StageBar> bars)
    {
        using var plot = NewPlot();
        var list = new List<Bar>();
        for (var i = 0; i < bars.Count; i++)
        {
            var baseline = 0.0;
            for (var s = 0; s < StageNames.Length; s++)
            {
                var share = s < bars[i].Shares.Count && double.IsFinite(bars[i].Shares[s]) ? bars[i].Shares[s] * 100 : 0;
                list.Add(new Bar { Position = i, ValueBase = baseline, Value = baseline + share, FillColor = StageColors[s], Size = 0.6, LineWidth = 0.5f, LineColor = Colors.White });
                baseline += share;
            }
        }
        plot.Add.Bars(list.ToArray());
        // Legend top to bottom in the order the stack reads top to bottom: deciding first.
        plot.Legend.ManualItems.AddRange(StageNames.Select((n, s) => new LegendItem { LabelText = n, FillColor = StageColors[s] }).Reverse());
        plot.Axes.Bottom.SetTicks(bars.Select((_, i) => (double)i).ToArray(), bars.Select(b => Label(b.Label)).ToArray());
        plot.Axes.SetLimitsY(0, 100);
        plot.Axes.SetLimitsX(-0.6, Math.Max(bars.Count, 1) - 0.4);
        plot.YLabel("share of probes (%)");
        plot.XLabel("stratum and branch");
        plot.Title(title);
        plot.ShowLegend(Edge.Right);
        return Finish(plot, id, title,
            "Stage distribution of labelled probes, real versus simulated reply, per outcome stratum (stacked to 100%).",
            "Stacked bar chart of stage shares for real and simulated replies per stratum.");
    }

    public static ReportFigure DeltaByPosition(IReadOnlyList<PositionSeries> series)
    {
        using var plot = NewPlot();
        for (var k = 0; k < series.Count; k++)
        {
            var s = series[k];
            var color = SeriesColors[k % SeriesColors.Length];
            var jitter = (k - (series.Count - 1) / 2.0) * 0.8; // percent units, so overlapping CIs stay visible
            var xs = s.Positions.Select(p => p * 100 + jitter).ToArray();
            var ys = s.Delta.Select(d => d.Estimate).ToArray();
            var line = plot.Add.ScatterLine(xs, ys, color);
            line.LineWidth = 2;
            line.MarkerSize = 8;
            line.MarkerShape = MarkerShape.FilledCircle;
            line.LegendText = Label(s.Condition);
            var errs = new ScottPlot.Plottables.ErrorBar(xs, ys, null, null,
                s.Delta.Select(d => double.IsFinite(d.Upper) ? d.Upper - d.Estimate : 0).ToArray(),
                s.Delta.Select(d => double.IsFinite(d.Lower) ? d.Estimate - d.Lower : 0).ToArray())
            { LineColor = color, LineWidth = 1.5f };
            plot.Add.Plottable(errs);
        }
        var ticks = series.SelectMany(s => s.Positions).Distinct().Order().ToArray();
        ZeroLine(plot, "no outcome-dependent gap (Δ = 0)", ticks.Length == 0 ? 0 : ticks.Min() * 100 - 9);
        plot.Axes.Bottom.SetTicks(ticks.Select(p => p * 100).ToArray(), ticks.Select(p => $"{p * 100:0}%").ToArray());
        plot.Axes.SetLimitsX(ticks.Length == 0 ? 0 : ticks.Min() * 100 - 10, ticks.Length == 0 ? 100 : ticks.Max() * 100 + 10);
        plot.XLabel("probe position (share of user turns)");
        plot.YLabel("Δ = E[D̄|y=0] − E[D̄|y=1] (stages)");
        plot.Title("Δ by probe position with 95% CIs");
        plot.ShowLegend(Edge.Bottom);
        return Finish(plot, "delta-by-position", "Δ by probe position",
            "Disengagement gap Δ computed from the probes at each position, with bootstrap 95% CIs; conditions are offset slightly left/right so their intervals do not overlap.",
            "Line chart of delta by probe position at 30, 60 and 90 percent for each condition.");
    }

    private static Plot NewPlot()
    {
        // ScottPlot resolves fonts by name through SkiaSharp; without an installed family text silently vanishes.
        Fonts.Default = "DejaVu Sans";
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        plot.Axes.Bottom.Label.FontSize = 15;
        plot.Axes.Left.Label.FontSize = 15;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;
        plot.Axes.Left.TickLabelStyle.FontSize = 13;
        plot.Axes.Title.Label.FontSize = 17;
        plot.Legend.FontSize = 13;
        plot.Grid.MajorLineColor = Color.FromHex("#E5E5E5");
        return plot;
    }

    private static void AddPointsWithErrors(Plot plot, (double x, Interval v)[] pts, Color color, MarkerShape shape, string legend)
    {
        var xs = pts.Select(p => p.x).ToArray();
        var ys = pts.Select(p => double.IsFinite(p.v.Estimate) ? p.v.Estimate : double.NaN).ToArray();
        var errs = new ScottPlot.Plottables.ErrorBar(xs, ys.Select(y => double.IsNaN(y) ? 0 : y).ToArray(), null, null,
            pts.Select(p => double.IsFinite(p.v.Upper) && double.IsFinite(p.v.Estimate) ? p.v.Upper - p.v.Estimate : 0).ToArray(),
            pts.Select(p => double.IsFinite(p.v.Lower) && double.IsFinite(p.v.Estimate) ? p.v.Estimate - p.v.Lower : 0).ToArray())
        { LineColor = color, LineWidth = 2 };
        plot.Add.Plottable(errs);
        var sc = plot.Add.ScatterPoints(xs, ys, color);
        sc.MarkerShape = shape;
        sc.MarkerSize = 11;
        sc.LegendText = legend;
    }

    private static void ZeroLine(Plot plot, string label, double xLeft)
    {
        var zero = plot.Add.HorizontalLine(0, 1.5f, Black, LinePattern.Dashed);
        zero.LegendText = label;
        // Also written on the line itself (left end, just above it) so the meaning survives cropping the legend.
        var text = plot.Add.Text(label, xLeft, 0);
        text.LabelFontSize = 12;
        text.LabelFontColor = Black;
        text.LabelAlignment = Alignment.LowerLeft;
        text.OffsetY = -2;
    }

    // Plot labels come from configuration (condition names); keep them plain and short so the SVG stays readable.
    private static string Label(string text)
    {
        var clean = new string(text.Where(c => !char.IsControl(c)).ToArray());
        return clean.Length <= 28 ? clean : clean[..27] + "…";
    }

    private static ReportFigure Finish(Plot plot, string id, string title, string caption, string alt)
    {
        var svg = plot.GetSvgXml(Width, Height);
        var png = plot.GetImageBytes(Width, Height, ImageFormat.Png);
        return new ReportFigure(id, title, caption, alt, svg, png, Width, Height);
    }
}
