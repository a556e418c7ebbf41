using System.Collections.Immutable;
using System.Text.Json;

namespace Dfid.Corpus;

/// <summary>Who speaks a turn. The agent sells, persuades or negotiates; the user is the simulated side.</summary>
public enum Role
{
    /// <summary>The salesperson, persuader or negotiator.</summary>
    Agent,
    /// <summary>The customer, persuadee or counterpart whose decisions are measured.</summary>
    User,
    /// <summary>A notice that is part of the conversation but written by neither party.</summary>
    System,
}

/// <summary>One turn of a conversation.</summary>
/// <param name="Role">Who speaks.</param>
/// <param name="Text">What was said (sentences of one speaker's turn joined by a space).</param>
/// <param name="Time">Timestamp as written by the source (ISO 8601 where known), or <c>null</c>.</param>
/// <param name="Annotations">Human labels for this turn, by label set (e.g. <c>ee_act</c> → <c>agree-donation</c>).</param>
public sealed record Turn(
    Role Role,
    string Text,
    string? Time = null,
    ImmutableSortedDictionary<string, string>? Annotations = null);

/// <summary>The real, consequential outcome of a conversation.</summary>
/// <param name="Converted"><c>true</c> paid/donated/signed, <c>false</c> walked away, <c>null</c> unknown.</param>
/// <param name="Value">Amount of the conversion when known (e.g. dollars donated).</param>
/// <param name="Verified">Whether the outcome comes from a record (payment, deduction) rather than a statement.</param>
/// <param name="DecidedAtTurn">Index, in the source conversation, of the first decision event; the stored turns end before it.</param>
/// <param name="DecidedAtTime">Timestamp of the decision event when the source has one.</param>
public sealed record Outcome(
    bool? Converted,
    double? Value = null,
    bool Verified = false,
    int? DecidedAtTurn = null,
    string? DecidedAtTime = null);

/// <summary>Where a conversation comes from.</summary>
/// <param name="Dataset">Dataset name, e.g. <c>persuasionforgood</c>.</param>
/// <param name="Licence">SPDX-like licence of the source, e.g. <c>Apache-2.0</c>.</param>
public sealed record CorpusSource(string Dataset, string? Licence = null);

/// <summary>A real conversation with its real outcome: one line of a <c>dfid.corpus/1</c> file.</summary>
/// <param name="Id">Unique id within the corpus.</param>
/// <param name="Turns">Turns in order, already cut at the first decision event for converted conversations.</param>
/// <param name="Outcome">The real outcome.</param>
/// <param name="Profile">What is known about the user (string or number values).</param>
/// <param name="Source">Dataset and licence.</param>
/// <param name="Meta">Anything else the importer keeps (dropped turn counts, flags, source fields).</param>
public sealed record Conversation(
    string Id,
    ImmutableArray<Turn> Turns,
    Outcome Outcome,
    ImmutableSortedDictionary<string, JsonElement> Profile,
    CorpusSource Source,
    ImmutableSortedDictionary<string, JsonElement> Meta)
{
    /// <summary>Index of the last turn of <paramref name="role"/> before <paramref name="turnIndex"/>, or −1 when there is none.</summary>
    public int LastTurnBefore(int turnIndex, Role role)
    {
        for (var i = Math.Min(turnIndex, Turns.Length) - 1; i >= 0; i--)
            if (Turns[i].Role == role) return i;
        return -1;
    }
}
