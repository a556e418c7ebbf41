namespace Dfid.Core;

/// <summary>
/// The words of one decision domain: who the parties are, what the consequential decision is, what is on the table and
/// the setting. An experiment names its domain once (<c>domain:</c>) and every prompt uses it: the simulators' persona
/// prompts, the LLM perceiver, the action labeller and (later) the agents.
/// </summary>
/// <remarks>
/// Two prompt families read these words through their own placeholders. Simulator prompts (written to the user being
/// simulated): <c>{agent}</c> = <see cref="Agent"/>, <c>{agent_label}</c>, <c>{decision}</c> (also <c>{domain}</c>) and
/// <c>{setting}</c>. Labelling prompts and the taxonomy (written to a judge): <c>{agent}</c> = <see cref="AgentRole"/>,
/// <c>{user}</c> = <see cref="UserRole"/>, <c>{commitment}</c>, <c>{commit_verb}</c> and <c>{offer}</c> (see <see cref="Apply"/>).
/// </remarks>
/// <param name="Name">Preset name (<c>sales</c>, <c>fundraising</c>, <c>persuasionforgood</c>, <c>negotiation</c>) or <c>custom</c>.</param>
/// <param name="Agent">The other party as the simulated user knows them, e.g. <c>a salesperson</c>.</param>
/// <param name="AgentLabel">How agent turns are labelled in a history shown to the simulated user, e.g. <c>Agent</c>.</param>
/// <param name="AgentRole">The agent's role as a judge names it, e.g. <c>salesperson</c>.</param>
/// <param name="UserRole">The user's role as a judge names it, e.g. <c>customer</c>.</param>
/// <param name="Commitment">The decision as a noun, e.g. <c>purchase</c>.</param>
/// <param name="CommitVerb">The decision as a verb, e.g. <c>buy</c>.</param>
/// <param name="Offer">What is on the table, e.g. <c>the product</c>.</param>
/// <param name="Decision">The decision as the simulated user would put it, e.g. <c>buying</c>.</param>
/// <param name="Setting">One or two sentences on what the chat is about (may be empty).</param>
public sealed record Domain(
    string Name,
    string Agent,
    string AgentLabel,
    string AgentRole,
    string UserRole,
    string Commitment,
    string CommitVerb,
    string Offer,
    string Decision,
    string Setting)
{
    /// <summary>Sales: a salesperson and a customer, buying the product.</summary>
    public static Domain Sales { get; } = new("sales", "a salesperson", "Agent", "salesperson", "customer", "purchase", "buy", "the product", "buying", "");

    /// <summary>Fundraising: a fundraiser and a potential donor, donating to the cause.</summary>
    public static Domain Fundraising { get; } = new("fundraising", "a fundraiser", "Fundraiser", "persuader", "persuadee", "donation", "donate", "the charity", "donating", "");

    /// <summary>PersuasionForGood: the study's own words (a persuader asks for part of the task payment for Save the Children).</summary>
    public static Domain PersuasionForGood { get; } = new(
        "persuasionforgood",
        "another participant of an online study",
        "Persuader",
        "persuader",
        "persuadee",
        "donation",
        "donate",
        "the charity",
        "donating part of your task payment to Save the Children",
        "The other participant may try to get you to donate some of your payment for this task to the charity Save the Children.");

    /// <summary>Negotiation: a negotiator and a counterpart, agreeing to the deal.</summary>
    public static Domain Negotiation { get; } = new("negotiation", "the other party of a negotiation", "Negotiator", "negotiator", "counterpart", "deal", "agree to the deal", "the deal", "agreeing to the deal", "");

    /// <summary>The presets by name (<c>donation</c>, <c>purchase</c> and <c>deal</c> are accepted as older names).</summary>
    public static IReadOnlyDictionary<string, Domain> Presets { get; } = new Dictionary<string, Domain>(StringComparer.OrdinalIgnoreCase)
    {
        ["sales"] = Sales,
        ["fundraising"] = Fundraising,
        ["persuasionforgood"] = PersuasionForGood,
        ["negotiation"] = Negotiation,
    };

    /// <summary>A preset by name, or null; <c>purchase</c>, <c>donation</c> and <c>deal</c> name sales, fundraising and negotiation.</summary>
    public static Domain? Preset(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        null => null,
        "purchase" => Sales,
        "donation" => Fundraising,
        "deal" => Negotiation,
        var n => Presets.GetValueOrDefault(n),
    };

    /// <summary>The domain of a corpus when the experiment names none: PersuasionForGood's for that dataset, sales otherwise.</summary>
    public static Domain ForDataset(string? dataset) =>
        string.Equals(dataset, "persuasionforgood", StringComparison.OrdinalIgnoreCase) ? PersuasionForGood : Sales;

    /// <summary>Fills the labelling placeholders (<c>{commitment}</c>, <c>{commit_verb}</c>, <c>{agent}</c>, <c>{user}</c>, <c>{offer}</c>) of a judge prompt or taxonomy text.</summary>
    public string Apply(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        return template
            .Replace("{commitment}", Commitment, StringComparison.Ordinal)
            .Replace("{commit_verb}", CommitVerb, StringComparison.Ordinal)
            .Replace("{agent}", AgentRole, StringComparison.Ordinal)
            .Replace("{user}", UserRole, StringComparison.Ordinal)
            .Replace("{offer}", Offer, StringComparison.Ordinal);
    }

    /// <summary>The words as name → value, for the run manifest.</summary>
    public IReadOnlyDictionary<string, string> Describe() => new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["domain"] = Name,
        ["domain.agent"] = Agent,
        ["domain.agent_label"] = AgentLabel,
        ["domain.agent_role"] = AgentRole,
        ["domain.user_role"] = UserRole,
        ["domain.commitment"] = Commitment,
        ["domain.commit_verb"] = CommitVerb,
        ["domain.offer"] = Offer,
        ["domain.decision"] = Decision,
        ["domain.setting"] = Setting,
    };
}
