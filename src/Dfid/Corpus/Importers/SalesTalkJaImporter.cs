using System.Collections.Immutable;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Dfid.Corpus.Importers;

/// <summary>Imports the User Willingness-aware Sales Talk Dataset (Hentona et al., 2025): JSON Lines of Japanese sales chats.</summary>
/// <remarks>
/// <para>Sales utterances become agent turns and user utterances user turns; consecutive utterances of one speaker form one
/// turn (joined by a line break, timed by its first utterance). Product cards a party shares (system messages
/// "〜さんからのシェア") are part of that party's turn, rendered as <c>【商品シェア】title price description</c>.
/// Instructions and the end-of-chat notice are not turns (their count is kept in <c>meta.notices_removed</c>).</para>
/// <para>The system message "userさんが以下の商品を購入しました" is the decision event: the conversation is converted, its turns
/// end there (<c>outcome.decided_at_turn</c> = the number of kept turns, <c>decided_at_time</c> its timestamp) and turns after it
/// are dropped and counted in <c>meta.dropped_turns</c>. The outcome is not <c>verified</c>: the purchase was a button in a
/// Wizard-of-Oz shop, no money changed hands. <c>outcome.value</c> is the bought product's price in yen.</para>
/// <para>The user's ratings of each sales utterance become turn annotations <c>continuing_dialogue</c>,
/// <c>providing_information</c> and <c>goal_acceptance</c> (positive/neutral/negative per utterance of the turn, joined by
/// <c>|</c>; <c>unrated</c> where the source has none). The purchase intention (1–7) before the chat goes into the profile and
/// <c>meta</c>, the one after the chat into <c>meta</c> only.</para>
/// </remarks>
public sealed partial class SalesTalkJaImporter : ICorpusImporter
{
    /// <summary>The dataset and folder name.</summary>
    public const string DatasetName = "salestalk-ja";

    /// <inheritdoc/>
    public string Format => DatasetName;

    /// <inheritdoc/>
    public string Description => "salestalk-ja folder or its JSON Lines file (japanese-salestalk-dataset_v1.json)";

    private static readonly (string Source, string Key)[] RatingLabels =
    [
        ("CONTINUING_DIALOGUE", "continuing_dialogue"),
        ("PROVIDING_INFORMATION", "providing_information"),
        ("GOAL_ACCEPTANCE", "goal_acceptance"),
    ];

    /// <inheritdoc/>
    public CorpusImport Import(CorpusImportRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var path = ResolveFile(request.InputPath);
        var collector = new ImportCollector();
        collector.ReadJsonLines(path, Convert, cancellationToken);
        return collector.Result();
    }

    private static string ResolveFile(string input)
    {
        if (File.Exists(input)) return input;
        if (!Directory.Exists(input))
            throw new DfidException($"salestalk-ja input not found: {input} (pass --in with the salestalk-ja folder or its .json file)", 2);
        var preferred = Path.Combine(input, "japanese-salestalk-dataset_v1.json");
        if (File.Exists(preferred)) return preferred;
        var files = Directory.GetFiles(input, "*.json").Concat(Directory.GetFiles(input, "*.jsonl")).Order(StringComparer.Ordinal).ToArray();
        return files.Length == 1 ? files[0] : throw new DfidException(
            $"{input}: expected one .json/.jsonl file of dialogues, found {files.Length}; pass --in FILE", 2);
    }

    private enum Kind { Utterance, Share, Purchase, Notice }

    private sealed record Piece(Role Role, string Text, string? Time, string[]? Ratings);

    private static Conversation? Convert(JsonElement d, List<string> problems)
    {
        if (!d.TryGetProperty("dialogue_id", out var idElement) || idElement.ValueKind is not (JsonValueKind.Number or JsonValueKind.String))
        {
            problems.Add("missing \"dialogue_id\"");
            return null;
        }
        var dialogueId = idElement.ValueKind == JsonValueKind.String ? idElement.GetString()! : idElement.GetRawText();
        var id = $"{DatasetName}-{dialogueId}";
        if (!d.TryGetProperty("utterances", out var utterances) || utterances.ValueKind != JsonValueKind.Array)
        {
            problems.Add($"dialogue {dialogueId}: missing \"utterances\" array");
            return null;
        }

        var kept = new List<Piece>();
        var after = new List<Piece>();
        string? purchaseTime = null, product = null, priceText = null;
        double? price = null;
        var notices = 0;
        foreach (var u in utterances.EnumerateArray())
        {
            var speaker = Str(u, "speaker");
            var message = (Str(u, "message") ?? "").Trim();
            var time = Str(u, "timestamp");
            Piece? piece = null;
            switch (Classify(speaker, message, out var sharer))
            {
                case Kind.Notice:
                    notices++;
                    continue;
                case Kind.Purchase:
                    if (purchaseTime is null)
                    {
                        purchaseTime = time ?? "";
                        (product, priceText, _) = Card(message);
                        price = ParseYen(priceText);
                    }
                    else notices++; // a second purchase message after the decision adds nothing
                    continue;
                case Kind.Share:
                    var (title, p, description) = Card(message);
                    piece = new Piece(sharer, $"【商品シェア】{string.Join(" ", new[] { title, p, description }.Where(s => !string.IsNullOrEmpty(s)))}", time, null);
                    break;
                case Kind.Utterance:
                    if (speaker is not ("sales" or "user"))
                    {
                        problems.Add($"dialogue {dialogueId}: unknown speaker \"{speaker}\" (expected sales, user or system)");
                        return null;
                    }
                    piece = new Piece(speaker == "sales" ? Role.Agent : Role.User, message, time, speaker == "sales" ? Ratings(u) : null);
                    break;
            }
            (purchaseTime is null ? kept : after).Add(piece!);
        }

        var turns = Merge(kept);
        var droppedTurns = Merge(after).Length;
        var meta = ImmutableSortedDictionary.CreateBuilder<string, JsonElement>(StringComparer.Ordinal);
        var profile = ImmutableSortedDictionary.CreateBuilder<string, JsonElement>(StringComparer.Ordinal);
        meta["annotated"] = CorpusMeta.Flag(true);
        meta["dialogue_id"] = idElement.Clone();
        if (Str(d, "sales_id") is { } salesId) meta["sales_id"] = CorpusMeta.Text(salesId);
        if (Str(d, "user_id") is { } userId) meta["user_id"] = CorpusMeta.Text(userId);
        meta["notices_removed"] = CorpusMeta.Number(notices);
        if (d.TryGetProperty("user_dialogue_evals", out var evals) && evals.ValueKind == JsonValueKind.Array)
        {
            foreach (var e in evals.EnumerateArray())
            {
                var label = Str(e, "label");
                if (label is not ("before_purchase_intention" or "after_purchase_intention")) continue;
                if (e.TryGetProperty("answer", out var a) && a.ValueKind == JsonValueKind.Number)
                {
                    meta[label] = CorpusMeta.Number(a.GetDouble());
                    if (label == "before_purchase_intention") profile["purchase_intention_before"] = CorpusMeta.Number(a.GetDouble());
                }
                if (profile.ContainsKey("product")) continue;
                if (Str(e, "raw_question") is { } q && ProductInQuestion().Match(q) is { Success: true } m)
                    profile["product"] = CorpusMeta.Text(m.Groups[1].Value);
            }
        }

        Outcome outcome;
        if (purchaseTime is not null)
        {
            outcome = new Outcome(true, price, Verified: false, DecidedAtTurn: turns.Length, DecidedAtTime: purchaseTime.Length > 0 ? purchaseTime : null);
            meta[CorpusMeta.DroppedTurnsKey] = CorpusMeta.Number(droppedTurns);
            if (product is not null) meta["purchased_product"] = CorpusMeta.Text(product);
        }
        else outcome = new Outcome(false, Verified: false);

        return new Conversation(id, turns, outcome, profile.ToImmutable(), new CorpusSource(DatasetName, "CC-BY-NC-SA-4.0"), meta.ToImmutable());
    }

    private static ImmutableArray<Turn> Merge(List<Piece> pieces)
    {
        var turns = ImmutableArray.CreateBuilder<Turn>();
        var i = 0;
        while (i < pieces.Count)
        {
            var j = i;
            while (j < pieces.Count && pieces[j].Role == pieces[i].Role) j++;
            var group = pieces.GetRange(i, j - i);
            var text = string.Join("\n", group.Select(p => p.Text));
            ImmutableSortedDictionary<string, string>? annotations = null;
            if (group.Any(p => p.Ratings is not null))
            {
                var b = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
                for (var k = 0; k < RatingLabels.Length; k++)
                    b[RatingLabels[k].Key] = string.Join('|', group.Select(p => p.Ratings?[k] ?? "unrated"));
                annotations = b.ToImmutable();
            }
            turns.Add(new Turn(group[0].Role, text, group[0].Time, annotations));
            i = j;
        }
        return turns.ToImmutable();
    }

    private static string[]? Ratings(JsonElement u)
    {
        if (!u.TryGetProperty("user_utterance_evals", out var evals) || evals.ValueKind != JsonValueKind.Array || evals.GetArrayLength() == 0)
            return null;
        var result = new string[RatingLabels.Length];
        Array.Fill(result, "unrated");
        foreach (var e in evals.EnumerateArray())
        {
            var label = Str(e, "label");
            var k = Array.FindIndex(RatingLabels, r => r.Source == label);
            if (k >= 0 && Str(e, "answer") is { Length: > 0 } answer) result[k] = answer;
        }
        return result;
    }

    private static Kind Classify(string? speaker, string message, out Role sharer)
    {
        sharer = Role.Agent;
        if (speaker != "system") return Kind.Utterance;
        if (message.Contains("さんが以下の商品を購入しました", StringComparison.Ordinal)) return Kind.Purchase;
        var share = ShareHeader().Match(message);
        if (share.Success)
        {
            sharer = share.Groups[1].Value == "sales" ? Role.Agent : Role.User;
            return Kind.Share;
        }
        return Kind.Notice;
    }

    private static (string? Title, string? Price, string? Description) Card(string html)
    {
        var title = CardTitle().Match(html) is { Success: true } t ? Clean(t.Groups[1].Value) : null;
        var paragraphs = CardParagraph().Matches(html).Select(m => Clean(m.Groups[1].Value)).Where(s => s.Length > 0).ToArray();
        return (title, paragraphs.ElementAtOrDefault(0), paragraphs.ElementAtOrDefault(1));
    }

    private static double? ParseYen(string? price)
    {
        if (price is null) return null;
        var m = Yen().Match(price);
        return m.Success && double.TryParse(m.Groups[1].Value.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    private static string Clean(string html) =>
        Whitespace().Replace(WebUtility.HtmlDecode(Tag().Replace(html, " ")), " ").Trim();

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    [GeneratedRegex(@"<b>\s*(sales|user)さんからのシェア\s*</b>")]
    private static partial Regex ShareHeader();

    [GeneratedRegex(@"<h2[^>]*>(.*?)</h2>", RegexOptions.Singleline)]
    private static partial Regex CardTitle();

    [GeneratedRegex(@"<p[^>]*>(.*?)</p>", RegexOptions.Singleline)]
    private static partial Regex CardParagraph();

    [GeneratedRegex(@"([0-9][0-9,]*)\s*円")]
    private static partial Regex Yen();

    [GeneratedRegex(@"<[^>]+>")]
    private static partial Regex Tag();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"商品（(.+?)）")]
    private static partial Regex ProductInQuestion();
}
