using Dfid.Probing;
using Dfid.Tests.Running;

namespace Dfid.Tests.Probing;

public class ProbeSelectorTests
{
    [Fact]
    public void Select_ElevenUserTurns_SkipsGreetingAndTakesCeilOfPositionTimesN()
    {
        // 11 user turns at indices 1,3,...,21; the greeting (index 1) is skipped: n = 10 eligible (indices 3..21).
        var c = RunFixtures.Conversation("c", 11);
        var probes = ProbeSelector.Select(c, ProbeOptions.Default);
        // k = ceil(0.3*10)=3 -> 3rd eligible = index 7; k=6 -> index 13; k=9 -> index 19.
        Assert.Equal([7, 13, 19], probes.Select(p => p.TurnIndex));
        Assert.Equal([0.3, 0.6, 0.9], probes.Select(p => p.Position));
        Assert.All(probes, p => Assert.Equal(10, p.EligibleUserTurns));
    }

    [Fact]
    public void Select_ShortConversation_RemovesDuplicateTurns()
    {
        // 3 user turns -> n = 2 eligible (indices 3, 5): k = ceil(0.6)=1, ceil(1.2)=2, ceil(1.8)=2.
        var probes = ProbeSelector.Select(RunFixtures.Conversation("c", 3), ProbeOptions.Default);
        Assert.Equal([3, 5], probes.Select(p => p.TurnIndex));
        Assert.Equal([0.3, 0.6], probes.Select(p => p.Position));
    }

    [Fact]
    public void Select_OnlyGreeting_NoProbes()
    {
        Assert.Empty(ProbeSelector.Select(RunFixtures.Conversation("c", 1), ProbeOptions.Default));
        Assert.Single(ProbeSelector.Select(RunFixtures.Conversation("c", 1), ProbeOptions.Default with { SkipGreeting = false }));
    }

    [Fact]
    public void Select_ConvertedWithDecisionCut_ProbesOnlyBeforeTheCut()
    {
        // 11 user turns but the decision happened at turn 10: user turns 1,3,5,7,9 remain; minus greeting: 3,5,7,9 (n=4).
        var c = RunFixtures.Conversation("c", 11, converted: true, decidedAtTurn: 10);
        var probes = ProbeSelector.Select(c, ProbeOptions.Default);
        Assert.All(probes, p => Assert.True(p.TurnIndex < 10));
        // k = ceil(1.2)=2 -> 5, ceil(2.4)=3 -> 7, ceil(3.6)=4 -> 9.
        Assert.Equal([5, 7, 9], probes.Select(p => p.TurnIndex));
        // Not converted: the marker is ignored.
        var walked = RunFixtures.Conversation("c", 11, converted: false, decidedAtTurn: 10);
        Assert.Equal([7, 13, 19], ProbeSelector.Select(walked, ProbeOptions.Default).Select(p => p.TurnIndex));
    }

    [Fact]
    public void Select_All_EveryEligibleTurnWithRelativePosition()
    {
        var probes = ProbeSelector.Select(RunFixtures.Conversation("c", 5), new ProbeOptions(null));
        Assert.Equal([3, 5, 7, 9], probes.Select(p => p.TurnIndex));
        Assert.Equal([0.25, 0.5, 0.75, 1.0], probes.Select(p => p.Position));
    }

    [Fact]
    public void Select_CustomPositions_ExactMultiplesDoNotRoundUp()
    {
        // n = 10, p = 0.5 -> k = 5 exactly (index 11), p = 1.0 -> k = 10 (index 21).
        var probes = ProbeSelector.Select(RunFixtures.Conversation("c", 11), new ProbeOptions([1.0, 0.5]));
        Assert.Equal([11, 21], probes.Select(p => p.TurnIndex));
    }
}
