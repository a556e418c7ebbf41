using Dfid.Simulation;

namespace Dfid.Tests.Simulation;

public class ReplyCleanerTests
{
    [Theory]
    [InlineData("User: sure, maybe later", "sure, maybe later")]
    [InlineData("Customer: \"busy right now\"", "busy right now")]
    [InlineData("\u201CNo thanks.\u201D", "No thanks.")]
    [InlineData("**You:** mm", "mm")]
    [InlineData("  'we'll see'  ", "we'll see")]
    [InlineData("Not now.\nPersuader: Are you sure?\nYou: yes", "Not now.")]
    [InlineData("I said \"no\" and \"never\"", "I said \"no\" and \"never\"")]
    public void Clean_StripsRoleLabelsQuotesAndContinuations(string raw, string expected)
    {
        var (text, status) = ReplyCleaner.Clean(raw, "Persuader");
        Assert.Equal(AnswerStatus.Ok, status);
        Assert.Equal(expected, text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("User:")]
    [InlineData("\"\"")]
    [InlineData("...")]
    public void Clean_NothingLeft_IsEmpty(string raw)
    {
        var (text, status) = ReplyCleaner.Clean(raw);
        Assert.Equal(AnswerStatus.Empty, status);
        Assert.Null(text);
    }

    [Theory]
    [InlineData("I'm sorry, but I can't role-play as a real person.")]
    [InlineData("As an AI, I don't have personal preferences.")]
    [InlineData("I cannot pretend to be this user.")]
    public void Clean_Refusal_IsRecordedAsRefusal(string raw)
    {
        var (text, status) = ReplyCleaner.Clean(raw);
        Assert.Equal(AnswerStatus.Refusal, status);
        Assert.NotNull(text);
    }
}
