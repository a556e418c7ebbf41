namespace Dfid.Simulation;

/// <summary>The words a prompt uses for the parties and the decision, so one prompt serves sales, fundraising and negotiation.</summary>
/// <param name="Agent">The other party as the user sees it, e.g. <c>a persuader</c> or <c>a salesperson</c>.</param>
/// <param name="AgentLabel">How agent turns are labelled in the rendered history, e.g. <c>Persuader</c>.</param>
/// <param name="Decision">The consequential decision, e.g. <c>donating to Save the Children</c> or <c>buying</c>.</param>
/// <param name="Setting">One or two sentences on what the chat is about (may be empty).</param>
public sealed record DomainWords(string Agent, string AgentLabel, string Decision, string Setting)
{
    /// <summary>Neutral sales wording used when the experiment names none.</summary>
    public static DomainWords Default { get; } = new("a salesperson", "Agent", "buying", "");

    /// <summary>PersuasionForGood's wording.</summary>
    public static DomainWords PersuasionForGood { get; } = new(
        "another participant of an online study",
        "Persuader",
        "donating part of your task payment to Save the Children",
        "The other participant may try to get you to donate some of your payment for this task to the charity Save the Children.");
}
