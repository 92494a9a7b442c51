using BayesianRouter.Encoding;

namespace BayesianRouter.Encoding.Tests;

public sealed class PairTruncationTests
{
    private const int Cls = 101, Sep = 102;
    private static int[] Range(int from, int count) => Enumerable.Range(from, count).ToArray();

    [Fact]
    public void Short_inputs_are_kept_whole()
    {
        Assert.Equal([Cls, 1, 2, 3, 10, 11, Sep], PairTruncation.Build(Range(1, 3), Range(10, 2), 16, PromptTruncation.Left, Cls, Sep));
    }

    [Fact]
    public void Left_cut_keeps_the_end_of_the_prompt_and_the_whole_response()
    {
        var ids = PairTruncation.Build(Range(1, 10), Range(100, 3), 8, PromptTruncation.Left, Cls, Sep);
        Assert.Equal([Cls, 8, 9, 10, 100, 101, 102, Sep], ids);
    }

    [Fact]
    public void Right_cut_keeps_the_start_of_the_prompt()
    {
        var ids = PairTruncation.Build(Range(1, 10), Range(100, 3), 8, PromptTruncation.Right, Cls, Sep);
        Assert.Equal([Cls, 1, 2, 3, 100, 101, 102, Sep], ids);
    }

    [Fact]
    public void A_response_longer_than_the_budget_keeps_its_beginning()
    {
        var ids = PairTruncation.Build(Range(1, 5), Range(100, 50), 6, PromptTruncation.Left, Cls, Sep);
        Assert.Equal([Cls, 100, 101, 102, 103, Sep], ids);
    }

    [Fact]
    public void A_prompt_alone_is_cut_from_the_left()
    {
        var ids = PairTruncation.Build(Range(1, 10), [], 5, PromptTruncation.Left, Cls, Sep);
        Assert.Equal([Cls, 8, 9, 10, Sep], ids);
    }
}

public sealed class LengthBatchingTests
{
    private static readonly int[] Lengths = [50, 3, 40, 4, 45, 5, 3, 60];

    [Fact]
    public void Sorted_plan_covers_every_index_once_in_batches_of_similar_length()
    {
        var plan = LengthBatching.Plan(Lengths, 3, sortByLength: true);
        Assert.Equal(Enumerable.Range(0, Lengths.Length), plan.SelectMany(b => b).Order());
        Assert.All(plan, b => Assert.InRange(b.Length, 1, 3));
        Assert.Equal([1, 6, 3], plan[0]); // lengths 3, 3, 4 (ties by index)
        var flat = plan.SelectMany(b => b).Select(i => Lengths[i]).ToArray();
        Assert.Equal(flat.Order(), flat);
    }

    [Fact]
    public void Sorting_pads_less_than_input_order()
    {
        var sorted = LengthBatching.PaddedTokens(Lengths, LengthBatching.Plan(Lengths, 4, true));
        var inOrder = LengthBatching.PaddedTokens(Lengths, LengthBatching.Plan(Lengths, 4, false));
        Assert.Equal(4 * 5 + 4 * 60, sorted);
        Assert.Equal(4 * 50 + 4 * 60, inOrder);
    }

    [Fact]
    public void Unsorted_plan_keeps_input_order()
    {
        Assert.Equal([[0, 1, 2], [3, 4, 5], [6, 7]], LengthBatching.Plan(Lengths, 3, false));
    }
}

public sealed class SentencePoolingTests
{
    // batch 2, seq 3, dim 2
    private static readonly float[] Hidden = [1, 0, 3, 0, 100, 100, /* row 2 */ 0, 2, 0, 4, 0, 6];
    private static readonly long[] Mask = [1, 1, 0, 1, 1, 1];

    [Fact]
    public void Mean_pooling_ignores_padding_and_normalises()
    {
        var v = SentencePooling.Pool(Hidden, Mask, 2, 3, 2, Pooling.Mean);
        Assert.Equal([1f, 0f], v[0]); // mean (2, 0): the padded (100, 100) is ignored
        Assert.Equal([0f, 1f], v[1]);
    }

    [Fact]
    public void Cls_pooling_takes_the_first_token()
    {
        var v = SentencePooling.Pool([3, 4, 9, 9], [1, 1], 1, 2, 2, Pooling.Cls);
        Assert.Equal(0.6f, v[0][0], 6);
        Assert.Equal(0.8f, v[0][1], 6);
    }

    [Fact]
    public void Rejects_a_hidden_state_of_the_wrong_size()
    {
        Assert.Throws<ArgumentException>(() => SentencePooling.Pool(Hidden, Mask, 2, 3, 3, Pooling.Mean));
    }
}
