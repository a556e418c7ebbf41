namespace Dfid.Analysis;

/// <summary>What a dataset implies for walk-away, said in one place for the terminal summary and the report.</summary>
internal static class WalkAwayNotes
{
    /// <summary>The sentence the protocol requires wherever PersuasionForGood walk-away numbers are shown.</summary>
    public const string PersuasionForGood = "PersuasionForGood required about ten turns per chat, so its real early exits are rare by design.";

    /// <summary>Whether a dataset id names PersuasionForGood (any case and punctuation: <c>persuasionforgood</c>, <c>PersuasionForGood</c>, <c>p4g</c>).</summary>
    public static bool IsPersuasionForGood(string? dataset) =>
        new string((dataset ?? "").Where(char.IsAsciiLetterOrDigit).Select(char.ToLowerInvariant).ToArray()) is "persuasionforgood" or "p4g";
}
