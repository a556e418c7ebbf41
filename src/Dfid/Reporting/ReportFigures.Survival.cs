using System.Text;
using ScottPlot;
using SkiaSharp;

namespace Dfid.Reporting;

/// <summary>One Kaplan–Meier curve as the analysis gave it: per time, S(t) and its pointwise interval (NaN where undefined).</summary>
internal sealed record SurvivalSeries(string Label, IReadOnlyList<double> Time, IReadOnlyList<double> Survival, IReadOnlyList<double> Lower, IReadOnlyList<double> Upper);

/// <summary>One panel of the survival figure: a stratum's real and simulated curves.</summary>
internal sealed record SurvivalPanel(string Title, SurvivalSeries Real, SurvivalSeries Sim);

internal static partial class ReportFigures
{
    /// <summary>Real vs simulated (colours as the study's real/simulated branches), one step line with a shaded 95% band each.</summary>
    public static readonly Color RealColor = Black, SimColor = Orange;

    /// <summary>Kaplan–Meier curves, real vs simulated, one panel per stratum side by side; x = user turns after the start.</summary>
    /// <remarks>Draws the steps exactly as given: S = 1 (and its band) before the first time, a drop at each event time,
    /// flat to the last time. Pure layout; the curves come from the analysis.</remarks>
    public static ReportFigure KaplanMeier(string id, string condition, int cap, IReadOnlyList<SurvivalPanel> panels)
    {
        var plots = new List<Plot>();
        try
        {
            foreach (var panel in panels)
            {
                var plot = NewPlot();
                plots.Add(plot);
                Curve(plot, panel.Real, RealColor, LinePattern.Solid);
                Curve(plot, panel.Sim, SimColor, LinePattern.Dashed);
                plot.Axes.SetLimits(0, Math.Max(cap, 1), 0, 1.05);
                // Turns are whole numbers.
                var ticks = Enumerable.Range(0, Math.Max(cap, 1) + 1).Select(t => (double)t).ToArray();
                plot.Axes.Bottom.SetTicks(ticks, ticks.Select(t => t.ToString("0", System.Globalization.CultureInfo.InvariantCulture)).ToArray());
                plot.XLabel("user turns after the start");
                plot.YLabel("still in the conversation, S(t)");
                plot.Title(panel.Title);
                plot.ShowLegend(Edge.Bottom);
            }
            var title = "Walk-away: Kaplan–Meier curves, real vs simulated — " + condition;
            return FinishPanels(plots, id, title,
                $"Share of users still in the conversation after t user turns from the rollout start (an exit is the event; decisions, the cap of {cap} turns, the agent's end and failures censor), real continuation (solid) vs simulated rollouts (dashed), with Greenwood 95% bands; one panel per outcome stratum, for condition {condition}.",
                $"Two step charts of Kaplan–Meier survival of real and simulated users per outcome stratum for condition {condition}.");
        }
        finally
        {
            foreach (var p in plots) p.Dispose();
        }
    }

    private static void Curve(Plot plot, SurvivalSeries s, Color color, LinePattern pattern)
    {
        var (xs, ys) = Staircase(s.Time, s.Survival, 1);
        var (_, lo) = Staircase(s.Time, s.Lower.Select((v, i) => double.IsFinite(v) ? v : s.Survival[i]).ToList(), 1);
        var (_, hi) = Staircase(s.Time, s.Upper.Select((v, i) => double.IsFinite(v) ? v : s.Survival[i]).ToList(), 1);
        if (xs.Length > 1)
        {
            var band = plot.Add.FillY(xs, lo, hi);
            band.FillColor = color.WithAlpha(0.18);
            band.LineWidth = 0;
            band.LegendText = "";
        }
        var line = plot.Add.ScatterLine(xs, ys, color);
        line.LineWidth = 2.5f;
        line.LinePattern = pattern;
        line.MarkerSize = 0;
        line.LegendText = Label(s.Label);
    }

    /// <summary>A step function as a polyline: (0, start), then at each time the previous value, then the new one.</summary>
    private static (double[] X, double[] Y) Staircase(IReadOnlyList<double> time, IReadOnlyList<double> value, double start)
    {
        var xs = new List<double> { Math.Min(0, time.Count > 0 ? time[0] : 0) };
        var ys = new List<double> { start };
        var previous = start;
        for (var i = 0; i < time.Count; i++)
        {
            xs.Add(time[i]);
            ys.Add(previous);
            xs.Add(time[i]);
            ys.Add(value[i]);
            previous = value[i];
        }
        return ([.. xs], [.. ys]);
    }

    /// <summary>Renders panels side by side into one SVG and one PNG (each panel at the usual figure size).</summary>
    private static ReportFigure FinishPanels(IReadOnlyList<Plot> plots, string id, string title, string caption, string alt)
    {
        var width = Width * Math.Max(plots.Count, 1);
        var height = Height;
        string svg;
        using (var stream = new SKDynamicMemoryWStream())
        {
            using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, width, height), stream))
                Draw(canvas);
            using var data = stream.DetachAsData();
            svg = Encoding.UTF8.GetString(data.ToArray());
        }
        byte[] png;
        using (var surface = SKSurface.Create(new SKImageInfo(width, height)))
        {
            surface.Canvas.Clear(SKColors.White);
            Draw(surface.Canvas);
            using var image = surface.Snapshot();
            using var data = image.Encode(SKEncodedImageFormat.Png, 100);
            png = data.ToArray();
        }
        return new ReportFigure(id, title, caption, alt, svg, png, width, height);

        void Draw(SKCanvas canvas)
        {
            // Each panel clipped to its rectangle: a plot clears its own background, which would wipe the panel beside it.
            for (var i = 0; i < plots.Count; i++)
            {
                canvas.Save();
                canvas.ClipRect(new SKRect(i * Width, 0, (i + 1) * Width, height));
                plots[i].Render(canvas, new PixelRect(i * Width, (i + 1) * Width, height, 0));
                canvas.Restore();
            }
        }
    }
}
