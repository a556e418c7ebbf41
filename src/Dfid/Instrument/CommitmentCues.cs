using System.Globalization;
using System.Text.RegularExpressions;

namespace Dfid.Instrument;

/// <summary>What a turn's words say about committing: the amounts it names and whether it declines.</summary>
/// <param name="Amounts">Money amounts named, in order of appearance (dollars; cents as fractions; "half my payment" as
/// a positive placeholder of 1).</param>
/// <param name="Declines">Whether a sentence declines: a bare "no"/"nope", "no thanks", a negated giving verb with the
/// speaker as subject ("I won't donate", "we can't give"), or a fixed deferral ("not today", "maybe later", "I'd rather
/// not", "I'll pass", "I'll think about it").</param>
internal sealed record CommitmentCue(IReadOnlyList<double> Amounts, bool Declines)
{
    /// <summary>At least one named amount is above zero.</summary>
    public bool NamesPositiveAmount => Amounts.Any(a => a > 0);

    /// <summary>Amounts are named and every one is zero ("$0", "0.00", "zero", "donate nothing").</summary>
    public bool NamesOnlyZero => Amounts.Count > 0 && Amounts.All(a => a == 0);

    /// <summary>The turn refuses: it declines or names only zero, and names no positive amount (a turn that declines
    /// more but gives $0.25 commits to $0.25).</summary>
    public bool IsRefusal => (Declines || NamesOnlyZero) && !NamesPositiveAmount;
}

/// <summary>
/// Reads amounts and refusals from a turn's words (English). The act mapping uses it to keep "$0" and confirmed refusals
/// out of <c>deciding</c>, and the learned instrument uses it as features and as a guard.
/// </summary>
/// <remarks>
/// Deliberately narrow: a negation counts only with the speaker as subject and a giving verb within four words
/// ("I don't mind donating", "why not", "not sure how much to give", "they don't give it to the kids" and "No, I can do
/// it." do not decline), and a bare number counts as an amount only with a currency, "cents", a decimal point or right
/// after a giving verb ("donate 0", "let's do 1"); an option range ("any amount from $0 to all your payment") names no
/// amount. A bare "no" declines whatever the question ("No." to "Have you heard of them?" too): the cues only ever keep
/// a turn out of <c>deciding</c>, never put one there.
/// </remarks>
internal static partial class CommitmentCues
{
    /// <summary>Changes whenever a pattern changes; part of the learned stage model's feature version.</summary>
    public const string Version = "cues/1";

    /// <summary>The cues of <paramref name="text"/>.</summary>
    public static CommitmentCue Read(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = Normalise(text);
        return new CommitmentCue(Amounts(t), Declines(t));
    }

    private static string Normalise(string text) =>
        text.ToLowerInvariant().Replace('’', '\'').Replace('‘', '\'').Replace('`', '\'');

    private static List<double> Amounts(string t)
    {
        var found = new List<(int At, double Value)>();
        var taken = new bool[t.Length];
        void Take(Regex regex, Func<Match, double?> value, bool mark = false)
        {
            foreach (Match m in regex.Matches(t))
            {
                var span = m.Groups["n"].Success ? m.Groups["n"] : (Group)m;
                if (Enumerable.Range(span.Index, span.Length).Any(i => taken[i])) continue;
                var v = value(m);
                if (v is null && !mark) continue;
                for (var i = span.Index; i < span.Index + span.Length; i++) taken[i] = true;
                if (v is { } amount) found.Add((span.Index, amount));
            }
        }
        // An option range ("any amount from $0 to all your payment", "$0 - $0.30") names no amount.
        Take(OptionRange(), _ => null, mark: true);
        static double? Num(Match m) => double.Parse(m.Groups["n"].Value.Replace(',', '.'), NumberStyles.Float, CultureInfo.InvariantCulture);
        Take(DollarSign(), Num);
        Take(NumberCurrency(), m => m.Groups["cents"].Success ? Num(m) / 100 : Num(m));
        Take(WordAmount(), m => m.Groups["zero"].Success ? 0 : 1);
        Take(ShareOfPayment(), _ => 1);
        Take(ZeroWord(), _ => 0);
        Take(BareDecimal(), Num);
        Take(VerbNumber(), Num);
        return [.. found.OrderBy(f => f.At).Select(f => f.Value)];
    }

    private static bool Declines(string t)
    {
        foreach (var sentence in Sentences().Split(t))
        {
            var s = sentence.Trim(' ', ',', '"', '\'', '(', ')', '-', ':');
            if (s.Length == 0) continue;
            if (BareNo().IsMatch(s) || NoThenNegation().IsMatch(s) || PoliteDecline().IsMatch(s)) return true;
        }
        if (FixedDecline().IsMatch(t)) return true;
        foreach (Match m in NegatedGiving().Matches(t))
            if (!m.Groups["between"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Any(NotADecline.Contains)) return true;
        return false;
    }

    // Words between the negation and the giving verb that turn the phrase into something else: "I don't mind donating",
    // "I can't wait to give", "I'm not sure how much to give", "not only give".
    private static readonly HashSet<string> NotADecline = new(StringComparer.Ordinal)
    {
        "mind", "wait", "hesitate", "sure", "only", "just", "help", "resist", "believe", "decided", "know",
    };

    // A sentence end: . ! ? ; or a line break, but not the dot inside a number ("$0.50").
    [GeneratedRegex(@"\.(?!\d)|[!?;\n]+")]
    private static partial Regex Sentences();

    // The whole sentence is a no, optionally with thanks or an apology: "No.", "nope, sorry", "No thank you".
    [GeneratedRegex(@"^(?:no+|nope|nah|not really|no way)(?:[\s,!]+(?:thanks?|thank you|thx|sorry|i'm sorry|sorry but no|i'm afraid|no))*[\s!,]*$")]
    private static partial Regex BareNo();

    // A sentence opening with "no" whose speaker then negates what they will do, with nothing else in that clause ("No I
    // would not", "no, I can't right now", "No, I don't want to", "No I won't, I need the money", "No I will not until I
    // know more", "No, but maybe later"); "No, I can do it.", "No, I don't have kids" and "No problem" do not.
    [GeneratedRegex(@"^(?:no+|nope|nah)\b[\s,!]*(?:but\b|(?:i|we)\s+(?:really\s+|just\s+|honestly\s+)?(?:won't|will not|wont|wouldn't|would not|wouldnt|can't|cannot|can not|cant|couldn't|could not|couldnt|don't|do not|dont)(?:\s+(?:think so|want(?: to)?|wish to|plan to|feel like it|care to|right now|now|today|at (?:this|the) (?:time|moment)|afford(?: it| to)?|donate|give|contribute))?(?:\s+(?:until|unless|before|because|since)\b.*|\s*[,-].*)?\s*$)")]
    private static partial Regex NoThenNegation();

    // The whole sentence is a polite brush-off: "I think I'm ok.", "I'm good, thanks", "I'm fine for now".
    [GeneratedRegex(@"^(?:i think |thanks,? |thank you,? |oh,? )?(?:i'm|im|i am) (?:ok|okay|good|fine|all set|set)(?:[\s,]+(?:thanks|thank you|for now|though))*[\s!]*$")]
    private static partial Regex PoliteDecline();

    [GeneratedRegex(@"\b(?:that's|that is|thats|it's|it is|its|this is) (?:all|the most|as much as) (?:i|we) can (?:afford|do|give|spare|donate)\b|\bi wish i could (?:give|donate|contribute|afford)\b|\bkeep (?:my|the)(?: \w+)? (?:money|payment|earnings|bonus)\b|\bno,? thanks?\b|\bno,? thank you\b|\bnot (?:today|right now|now|tonight|at (?:this|the) (?:time|moment)|this time|for me|interested)\b|\b(?:maybe|perhaps) (?:later|another time|next time|some other time)\b|\bi(?:'ll| will)? pass\b|\b(?:i'd|i would|i) (?:rather|prefer to) (?:not|keep)\b|\bi(?:'d| would)? rather not\b|\bi(?:'ll| will) (?:have to )?think about it\b|\bi(?:'ll| will| must| have to)? decline\b|\bcount me out\b|\b(?:i'll|i will|i'm going to|i am going to|i'd have to|i have to|i must|gonna) say no\b|\bnot (?:going|willing|able|gonna|planning|ready|in a position) to (?:donate|give|contribute|pledge|pay)\b|\bnot (?:donating|giving|contributing)\b")]
    private static partial Regex FixedDecline();

    // The speaker (I/we, with a contracted or plain auxiliary and at most one adverb) under a negation, then a giving verb
    // within four words.
    [GeneratedRegex(@"\b(?:i|we)(?:'m|'d|'ll| am| would| will| do| can| could| really| honestly| just| probably| unfortunately)?\s+(?:\w+\s+)?(?:won't|will not|wont|wouldn't|would not|wouldnt|can't|cannot|can not|cant|couldn't|could not|couldnt|don't|do not|dont|not)\s+(?<between>(?:[\w']+\s+){0,4}?)(?:donate|donating|donation|give|giving|contribute|contributing|afford|spare|pledge|part with|pay|do (?:it|that|this|so|any)\b)")]
    private static partial Regex NegatedGiving();

    [GeneratedRegex(@"\b(?:from|between)\s+\$?\s?0(?:\.0+)?\s*(?:to|and|-|–)\s*(?:\$?\s?\d+(?:\.\d+)?|\.\d+|all\b(?:\s+(?:of\s+)?(?:your|my|the|of)\b)?(?:\s+(?:task\s+)?(?:payment|earnings|it))?)|\$\s?0(?:\.0+)?\s*(?:-|–|to)\s*\$\s?\d+(?:\.\d+)?")]
    private static partial Regex OptionRange();

    // The whole turn only says yes: "Yes.", "yes, that's right", "Correct, thank you".
    [GeneratedRegex(@"^(?:yes|yeah|yep|yup|correct|right|that's right|that is right|that's correct|that is correct|ok|okay|sure|confirmed|i confirm|exactly)(?:[\s,!.]+(?:yes|that's right|that is right|that's correct|that is correct|correct|please|thanks|thank you|i confirm|confirmed|sure|that's it))*[\s.!]*$")]
    private static partial Regex BareConfirmation();

    /// <summary>
    /// Whether a user turn refuses, read in its context: its own words refuse (<see cref="CommitmentCue.IsRefusal"/>), or
    /// it is a bare yes to an agent turn that names only $0 ("So $0 then?" — "Yes.").
    /// </summary>
    public static bool Refuses(string turn, string? previousAgentTurn) =>
        Read(turn).IsRefusal
        || (previousAgentTurn is not null && IsBareConfirmation(turn) && Read(previousAgentTurn).NamesOnlyZero);

    /// <summary>Whether the whole turn is a bare yes ("Yes.", "yes, that's right", "Correct, thanks").</summary>
    public static bool IsBareConfirmation(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return BareConfirmation().IsMatch(Normalise(text).Trim());
    }

    // "$0", "$ 0.50", "$.25", "$2", and "100$", "0.2 $".
    [GeneratedRegex(@"\$\s?(?<n>\d+(?:[.,]\d+)?|\.\d+)|(?<n>\d+(?:\.\d+)?|\.\d+)\s?\$")]
    private static partial Regex DollarSign();

    // "5 cents", "0.30 cents", "10c", "1 dollar", "2 bucks".
    [GeneratedRegex(@"(?<![\w.])(?<n>\d+(?:\.\d+)?|\.\d+)\s?(?:(?<cents>cents?|c|¢)|dollars?|bucks?|usd)\b")]
    private static partial Regex NumberCurrency();

    // "a dollar", "five cents", "a penny", "zero dollars".
    [GeneratedRegex(@"\b(?:(?<zero>zero|no)|a|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty|twenty-five|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|a few|a couple(?: of)?)\s+(?:dollars?|bucks?|cents?|pennies|penny|dimes?|nickels?)\b|\ba (?:dime|nickel)\b")]
    private static partial Regex WordAmount();

    // "half my payment", "all of my payment", "60% of the task payment", "a portion of my earnings".
    [GeneratedRegex(@"\b(?:half|all|a (?:third|quarter|portion|part|little|bit)|some|part|\d+\s?%|\d+ percent)\s+(?:of\s+)?(?:my|the|your|this)\s+(?:task\s+|hit\s+)?(?:payment|earnings|bonus|pay)\b")]
    private static partial Regex ShareOfPayment();

    // "donate nothing", "give zero", "contribute none", "not a penny".
    [GeneratedRegex(@"\b(?:donate|donating|give|giving|contribute|pledge|choose|pay|spare|offer)\s+(?:\w+\s+)?(?<n>zero|nothing|none|nada)\b|\bnot (?:a|one) (?:penny|cent|dime|dollar)\b")]
    private static partial Regex ZeroWord();

    // ".25", "0.50", "1.00" on their own.
    [GeneratedRegex(@"(?<![\w.$])(?<n>\d*\.\d+)(?![\d%$]|\s?(?:percent|%))")]
    private static partial Regex BareDecimal();

    // A whole number right after a giving verb: "donate 0", "let's do 1", "I choose 0".
    [GeneratedRegex(@"\b(?:donate|give|contribute|pledge|do|choose|say|pay|offer|spare|put down)\s+(?:only\s+|just\s+|about\s+|maybe\s+)?(?<n>\d+)\b(?!\s?(?:%|percent|of\b|times|years?|kids|children|minutes|hours|days|months|weeks|people))")]
    private static partial Regex VerbNumber();
}
