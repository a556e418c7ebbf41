using Dfid.Reporting;
using SkiaSharp;

namespace Dfid.Tests.Reporting;

public sealed class ReportFiguresTests
{
    internal static IReadOnlyList<StratumMeansPoint> MeansSample() =>
    [
        new("persona (model A)", new(0.396, 0.25, 0.54), new(0.092, -0.03, 0.21)),
        new("instructed (model A)", new(0.098, -0.05, 0.25), new(-0.187, -0.33, -0.04)),
        new("<script>alert(1)</script>", new(0.428, 0.2, 0.65), new(double.NaN, double.NaN, double.NaN)),
    ];

    [Fact]
    public void StratumMeans_DrawsNonEmptySvgAndPng()
    {
        var f = ReportFigures.StratumMeans(MeansSample());
        Assert.Contains("<svg", f.Svg);
        Assert.Contains("perfect decision fidelity", f.Svg);
        AssertPngHasInk(f.Png, minShare: 0.01);
        if (Environment.GetEnvironmentVariable("DFID_KEEP_FIGURES") is { } dir)
        {
            File.WriteAllBytes(Path.Combine(dir, f.Id + ".png"), f.Png);
        }
    }

    [Fact]
    public void StratumMeans_EscapesConditionNameInSvg()
    {
        var f = ReportFigures.StratumMeans(MeansSample());
        Assert.DoesNotContain("<script", f.Svg, StringComparison.OrdinalIgnoreCase);
        // The SVG must stay well-formed XML when labels contain markup characters.
        System.Xml.Linq.XDocument.Parse(f.Svg);
    }

    [Fact]
    public void OtherFigures_DrawNonEmptyImages()
    {
        var edges = Enumerable.Range(0, 17).Select(i => -4 + 0.5 * i).ToArray();
        int[] d0 = [0, 0, 0, 0, 0, 0, 3, 10, 40, 50, 40, 20, 10, 5, 2, 0], d1 = [0, 0, 0, 0, 0, 1, 8, 30, 90, 40, 15, 4, 2, 0, 0, 0];
        var figs = new[]
        {
            ReportFigures.Distribution("persona (model A)", edges, d0, d1),
            ReportFigures.StageDistribution("stage-distribution", "Stage distribution", [
                new("non-converters real", [0.251, 0.2, 0.187, 0.219, 0.043]), new("non-converters sim", [0.135, 0.15, 0.271, 0.401, 0.043]),
                new("converters real", [0.16, 0.2, 0.253, 0.337, 0.05]), new("converters sim", [0.136, 0.1, 0.248, 0.466, 0.05])]),
            ReportFigures.DeltaByPosition([
                new("persona", [0.3, 0.6, 0.9], [new(0.054, -0.1, 0.2), new(0.149, 0.0, 0.3), new(0.706, 0.4, 1.0)]),
                new("instructed", [0.3, 0.6, 0.9], [new(0.02, -0.1, 0.15), new(0.1, -0.05, 0.25), new(0.5, 0.2, 0.8)])]),
        };
        foreach (var f in figs)
        {
            AssertPngHasInk(f.Png, minShare: 0.01);
            System.Xml.Linq.XDocument.Parse(f.Svg);
            if (Environment.GetEnvironmentVariable("DFID_KEEP_FIGURES") is { } dir) File.WriteAllBytes(Path.Combine(dir, f.Id + ".png"), f.Png);
        }
    }

    /// <summary>Asserts that a PNG has at least <paramref name="minShare"/> of pixels that are not the white background.</summary>
    internal static void AssertPngHasInk(byte[] png, double minShare)
    {
        using var bmp = SKBitmap.Decode(png);
        Assert.NotNull(bmp);
        long ink = 0;
        for (var y = 0; y < bmp.Height; y++)
            for (var x = 0; x < bmp.Width; x++)
            {
                var c = bmp.GetPixel(x, y);
                if (c.Alpha > 0 && (c.Red < 235 || c.Green < 235 || c.Blue < 235)) ink++;
            }
        Assert.True(ink >= minShare * bmp.Width * bmp.Height, $"only {ink} of {bmp.Width * bmp.Height} pixels are drawn");
    }
}
