using Dfid.Models;
using Dfid.Tests.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace Dfid.Tests.Models;

/// <summary>Shared set-up for model layer tests: a host pointed at a loopback server, and a driver for fake time.</summary>
internal static class ModelTestKit
{
    public static ModelHost Host(ModelLayerOptions options, TimeProvider? clock = null) =>
        new(options, clock, () => 0.5, _ => null);

    public static string Spec(LoopbackOpenAiServer server, string model = "m", string options = "") => $"openai:{model}@{server.BaseUrl}{options}";

    /// <summary>Advances <paramref name="clock"/> in small steps until <paramref name="task"/> finishes (bounded by real time).</summary>
    public static async Task<T> Drive<T>(FakeTimeProvider clock, Task<T> task, TimeSpan? step = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!task.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
            clock.Advance(step ?? TimeSpan.FromMilliseconds(100));
        }
        return await task;
    }

    public static async Task Drive(FakeTimeProvider clock, Task task, TimeSpan? step = null) =>
        await Drive(clock, task.ContinueWith(t => { t.GetAwaiter().GetResult(); return 0; }, TaskScheduler.Default), step);
}
