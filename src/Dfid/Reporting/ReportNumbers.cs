using System.Globalization;

namespace Dfid.Reporting;

/// <summary>
/// The report's rounding rules, the only place numbers become text, so every number in report.md and
/// report.html can be traced to results.json by applying the same rule (see README, "Report").
/// </summary>
/// <remarks>
/// Estimates (means, Δ, d, bias, CI bounds, κ, α): 3 decimals, half away from zero. Differences carry a sign.
/// p-values: 4 decimals, below 0.0001 shown as "&lt; 0.0001". Percentages (results.json stores them in percent):
/// 1 decimal, "%". Percentage-point shifts: signed, 1 decimal, "pp". Counts: integers. Missing or non-finite
/// values (null in results.json): "n/a".
/// </remarks>
internal static class ReportNumbers
{
    public const string Missing = "n/a";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Rounds the way the report does (half away from zero).</summary>
    public static double Round(double value, int decimals) => Math.Round(value, decimals, MidpointRounding.AwayFromZero);

    /// <summary>An estimate, 3 decimals, unsigned unless negative.</summary>
    public static string Estimate(double? v) => Ok(v) ? Fix(v!.Value, 3) : Missing;

    /// <summary>A difference, 3 decimals, always signed (+0.304, -0.187, 0.000).</summary>
    public static string Signed(double? v) => Ok(v) ? Sign(Fix(v!.Value, 3)) : Missing;

    /// <summary>A 95% interval "[lo, hi]" with 3 decimals each.</summary>
    public static string Interval(double? lo, double? hi) => Ok(lo) && Ok(hi) ? $"[{Fix(lo!.Value, 3)}, {Fix(hi!.Value, 3)}]" : Missing;

    /// <summary>A p-value.</summary>
    public static string PValue(double? p) => !Ok(p) ? Missing : Round(p!.Value, 4) < 0.0001 ? "< 0.0001" : Fix(p.Value, 4);

    /// <summary>A percentage (already in percent), 1 decimal.</summary>
    public static string Percent(double? percent) => Ok(percent) ? Fix(percent!.Value, 1) + "%" : Missing;

    /// <summary>A shift in percentage points, signed, 1 decimal.</summary>
    public static string PercentPoints(double? pp) => Ok(pp) ? Sign(Fix(pp!.Value, 1)) + " pp" : Missing;

    /// <summary>A count.</summary>
    public static string Count(long? n) => n is null ? Missing : n.Value.ToString(Inv);

    /// <summary>A signed count (+3, -1, 0).</summary>
    public static string SignedCount(long n) => n > 0 ? "+" + n.ToString(Inv) : n.ToString(Inv);

    /// <summary>A money amount in US dollars, 4 decimals.</summary>
    public static string Usd(double? v) => Ok(v) ? "$" + Fix(v!.Value, 4) : Missing;

    /// <summary>A duration in seconds, 1 decimal.</summary>
    public static string Seconds(double? v) => Ok(v) ? Fix(v!.Value, 1) + " s" : Missing;

    private static bool Ok(double? v) => v is { } x && double.IsFinite(x);

    private static string Fix(double v, int decimals)
    {
        var r = Round(v, decimals);
        if (r == 0) r = 0; // no "-0.000"
        return r.ToString("F" + decimals.ToString(Inv), Inv);
    }

    private static string Sign(string s) => s.StartsWith('-') || IsZero(s) ? s : "+" + s;

    private static bool IsZero(string s) => s.All(c => c is '0' or '.');
}
