using Dfid.Instrument;

namespace Dfid.Tests.Instrument;

/// <summary>The amount and refusal reader, both ways: refusals it must see and commitments and other turns it must not
/// take for refusals (sentences written for this test, in the style of real persuadee turns).</summary>
public sealed class CommitmentCuesTests
{
    [Theory]
    [InlineData("No thanks.")]
    [InlineData("no thank you, not today")]
    [InlineData("Nope.")]
    [InlineData("No.")]
    [InlineData("No, I would not.")]
    [InlineData("No I won't, I need the money.")]
    [InlineData("No i will not until I know more about them.")]
    [InlineData("No, but maybe later.")]
    [InlineData("I'd rather not.")]
    [InlineData("I would rather keep my whole payment.")]
    [InlineData("I'll pass on this one.")]
    [InlineData("Not today, sorry.")]
    [InlineData("Maybe another time.")]
    [InlineData("I don't want to donate anything.")]
    [InlineData("I do not want to make a donation today.")]
    [InlineData("I'm not going to donate.")]
    [InlineData("I really can't afford to give anything right now.")]
    [InlineData("Sounds like a good mission, but I probably won't be able to donate.")]
    [InlineData("Sorry, I'm not interested in donating.")]
    [InlineData("I don't think I'll donate today.")]
    [InlineData("I think I'm ok, thanks.")]
    [InlineData("I'm going to say no this time.")]
    [InlineData("I'll think about it.")]
    [InlineData("I would like to donate $0.")]
    [InlineData("I'll donate 0")]
    [InlineData("$0")]
    [InlineData("I chose to donate $0.00 today.")]
    [InlineData("Zero dollars, sorry.")]
    [InlineData("I will give nothing this time.")]
    [InlineData("Put me down for 0 dollars please.")]
    public void Read_Refusal_IsRefusal(string text)
    {
        var cue = CommitmentCues.Read(text);
        Assert.True(cue.IsRefusal, $"{text}: {Describe(cue)}");
    }

    [Theory]
    [InlineData("I'll donate $1.")]
    [InlineData("I'd like to donate 0.50")]
    [InlineData("How about .25?")]
    [InlineData("Put me down for 50 cents.")]
    [InlineData("I will donate half of my payment.")]
    [InlineData("I don't mind donating a dollar.")]
    [InlineData("No problem, I'll donate 20 cents.")]
    [InlineData("No, I can't do more, .25 is the most I can part with.")]
    [InlineData("I can't give much, but I'll give $0.10.")]
    [InlineData("Let's do 1")]
    public void Read_Commitment_NamesAPositiveAmount_AndIsNoRefusal(string text)
    {
        var cue = CommitmentCues.Read(text);
        Assert.True(cue.NamesPositiveAmount, $"{text}: {Describe(cue)}");
        Assert.False(cue.IsRefusal, $"{text}: {Describe(cue)}");
    }

    [Theory]
    [InlineData("No, I can do it.")]
    [InlineData("Yeah sure, why not.")]
    [InlineData("I don't mind donating.")]
    [InlineData("I will donate, I'm just not sure how much to give.")]
    [InlineData("I can't wait to give.")]
    [InlineData("No problem!")]
    [InlineData("No, I don't have kids.")]
    [InlineData("No, I don't know much about them.")]
    [InlineData("They don't give the money to the kids, do they?")]
    [InlineData("I can't believe how warm it is today.")]
    [InlineData("What does the charity do?")]
    [InlineData("That sounds like a great cause.")]
    [InlineData("Ok i will donate some")]
    [InlineData("0k here is a .25")]
    public void Read_OtherTurns_AreNoRefusal(string text)
    {
        var cue = CommitmentCues.Read(text);
        Assert.False(cue.IsRefusal, $"{text}: {Describe(cue)}");
    }

    [Theory]
    [InlineData("You can choose any amount from $0 to all of your payment.", false)]
    [InlineData("You can donate anywhere from $0 to $2.", false)]
    [InlineData("You can donate $0 - $0.30.", false)]
    [InlineData("So that's $0 then?", true)]
    [InlineData("Just to confirm, you are donating $0?", true)]
    public void Read_AgentTurns_OptionRangesNameNoAmount(string text, bool onlyZero) =>
        Assert.Equal(onlyZero, CommitmentCues.Read(text).NamesOnlyZero);

    [Fact]
    public void Read_Amounts_InOrder()
    {
        Assert.Equal([0.5, 0.25], CommitmentCues.Read("Maybe $0.50, or .25?").Amounts);
        Assert.Equal([0.05], CommitmentCues.Read("I can do 5 cents").Amounts);
        Assert.Equal([0.0], CommitmentCues.Read("I will donate 0").Amounts);
        Assert.Empty(CommitmentCues.Read("I have 2 kids and 3 dogs.").Amounts);
    }

    [Theory]
    [InlineData("Yes.", true)]
    [InlineData("yes, that's right", true)]
    [InlineData("Correct, thank you!", true)]
    [InlineData("Yes, I'll donate $1.", false)]
    [InlineData("Ok i will donate some", false)]
    public void IsBareConfirmation(string text, bool expected) => Assert.Equal(expected, CommitmentCues.IsBareConfirmation(text));

    private static string Describe(CommitmentCue c) =>
        $"amounts [{string.Join(", ", c.Amounts)}], declines {c.Declines}";
}
