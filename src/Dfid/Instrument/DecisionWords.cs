namespace Dfid.Instrument;

/// <summary>
/// The words a prompt uses for the domain, so one instrument serves sales, fundraising and negotiation: they replace
/// <c>{commitment}</c>, <c>{commit_verb}</c>, <c>{agent}</c>, <c>{user}</c> and <c>{offer}</c> in the taxonomy and prompts.
/// </summary>
/// <param name="Commitment">The decision as a noun: "purchase", "donation", "deal".</param>
/// <param name="CommitVerb">The decision as a verb: "buy", "donate", "sign".</param>
/// <param name="Agent">The side that sells or persuades: "salesperson", "persuader".</param>
/// <param name="User">The side whose decision is measured: "customer", "persuadee".</param>
/// <param name="Offer">What is on the table: "the product", "the charity", "the deal".</param>
public sealed record DecisionWords(string Commitment, string CommitVerb, string Agent, string User, string Offer)
{
    /// <summary>Sales: purchase, buy, salesperson, customer, the product.</summary>
    public static DecisionWords Purchase { get; } = new("purchase", "buy", "salesperson", "customer", "the product");

    /// <summary>Fundraising: donation, donate, persuader, persuadee, the charity.</summary>
    public static DecisionWords Donation { get; } = new("donation", "donate", "persuader", "persuadee", "the charity");

    /// <summary>Negotiation: deal, agree to the deal, negotiator, counterpart, the deal.</summary>
    public static DecisionWords Deal { get; } = new("deal", "agree to the deal", "negotiator", "counterpart", "the deal");

    /// <summary>The words for a corpus dataset: donation words for PersuasionForGood, purchase words otherwise.</summary>
    public static DecisionWords ForDataset(string? dataset) => dataset?.ToLowerInvariant() switch
    {
        "persuasionforgood" => Donation,
        _ => Purchase,
    };

    /// <summary>Replaces the placeholders in <paramref name="template"/>.</summary>
    public string Apply(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        return template
            .Replace("{commitment}", Commitment, StringComparison.Ordinal)
            .Replace("{commit_verb}", CommitVerb, StringComparison.Ordinal)
            .Replace("{agent}", Agent, StringComparison.Ordinal)
            .Replace("{user}", User, StringComparison.Ordinal)
            .Replace("{offer}", Offer, StringComparison.Ordinal);
    }
}
