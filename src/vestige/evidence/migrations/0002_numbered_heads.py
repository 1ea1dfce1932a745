"""Numbered tree heads and the live head with its Merkle frontier (issue 11).

Heads kept before numbering are numbered in the order they were made; their signatures (v1,
without a number) no longer verify and `vestige evidence verify` says so: re-sign by keeping a
fresh head, after checking the old ones with the previous release."""

from django.db import migrations, models


def number_heads(apps, schema_editor):
    Head = apps.get_model("evidence", "TreeHeadRecord")
    for n, head in enumerate(Head.objects.order_by("size", "id"), 1):
        head.number = n
        head.save(update_fields=["number"])


class Migration(migrations.Migration):
    dependencies = [("evidence", "0001_initial")]

    operations = [
        migrations.AddField("ledgerstate", "frontier", models.TextField(blank=True, default="")),
        migrations.AddField("ledgerstate", "head_number", models.BigIntegerField(default=0)),
        migrations.AddField("ledgerstate", "head_size", models.BigIntegerField(default=0)),
        migrations.AddField("ledgerstate", "head_root", models.CharField(blank=True, max_length=64)),
        migrations.AddField("ledgerstate", "head_time", models.CharField(blank=True, max_length=40)),
        migrations.AddField("ledgerstate", "head_signature", models.TextField(blank=True)),
        migrations.AddField("treeheadrecord", "number", models.BigIntegerField(null=True)),
        migrations.RunPython(number_heads, migrations.RunPython.noop),
        migrations.AlterField("treeheadrecord", "number", models.BigIntegerField(unique=True)),
        migrations.AlterModelOptions("treeheadrecord", {"ordering": ["-number"]}),
    ]
