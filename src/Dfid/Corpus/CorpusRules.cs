namespace Dfid.Corpus;

/// <summary>The rules every conversation of a <c>dfid.corpus/1</c> file obeys beyond its JSON shape.</summary>
/// <remarks>Used by the reader (<c>validate</c>, <c>stats</c>) and by every importer, so both report the same problems.</remarks>
internal static class CorpusRules
{
    /// <summary>Checks one conversation; returns the reasons it breaks the format (empty when it is valid).</summary>
    /// <param name="conversation">The conversation to check.</param>
    public static IReadOnlyList<string> Check(Conversation conversation)
    {
        ArgumentNullException.ThrowIfNull(conversation);
        List<string>? problems = null;
        void Add(string reason) => (problems ??= []).Add(reason);

        if (string.IsNullOrWhiteSpace(conversation.Id)) Add("empty id: give every conversation a unique non-empty \"id\"");
        var turns = conversation.Turns.IsDefault ? [] : conversation.Turns;
        if (turns.Length == 0) Add("no turns: \"turns\" must hold at least one turn");
        var hasUser = false;
        for (var i = 0; i < turns.Length; i++)
        {
            var turn = turns[i];
            if (turn is null) { Add($"turn {i} is null"); continue; }
            if (turn.Role == Role.User) hasUser = true;
            if (!Enum.IsDefined(turn.Role)) Add($"turn {i}: unknown role {(int)turn.Role}");
            if (string.IsNullOrWhiteSpace(turn.Text)) Add($"turn {i}: empty text (drop the turn or give it text)");
            if (turn.Annotations is { } annotations)
                foreach (var (key, value) in annotations)
                    if (key.Length == 0 || value is null) Add($"turn {i}: annotation set names and labels must be non-empty strings");
        }
        if (turns.Length > 0 && !hasUser) Add("no user turn: a conversation needs at least one \"user\" turn to be probed");

        var outcome = conversation.Outcome;
        if (outcome is null) Add("missing outcome");
        else
        {
            if (outcome.DecidedAtTurn is int at)
            {
                if (at < 0) Add($"outcome.decided_at_turn = {at} is negative");
                else if (at > turns.Length)
                    Add($"outcome marker past the end: decided_at_turn = {at} but the conversation has {turns.Length} turns (it must be at most the turn count)");
                else if (at < turns.Length)
                    Add($"turns after the decision event: decided_at_turn = {at} but {turns.Length} turns are stored; cut them (dfid corpus import --format jsonl does) so the outcome cannot leak");
            }
            if (outcome.Value is double v && (double.IsNaN(v) || double.IsInfinity(v))) Add("outcome.value must be a finite number");
        }
        if (conversation.Source is null || string.IsNullOrWhiteSpace(conversation.Source.Dataset))
            Add("source.dataset is empty: name the dataset the conversation comes from");
        if (conversation.Profile is null) Add("missing profile (use {} when nothing is known)");
        else
            foreach (var (key, value) in conversation.Profile)
                if (value.ValueKind is not (System.Text.Json.JsonValueKind.String or System.Text.Json.JsonValueKind.Number))
                    Add($"profile.{key} must be a string or a number, not {value.ValueKind.ToString().ToLowerInvariant()}");
        if (conversation.Meta is null) Add("missing meta (use {} when there is nothing to keep)");
        return problems ?? (IReadOnlyList<string>)[];
    }
}
