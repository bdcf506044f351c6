package pgenv

import (
	"context"
	"errors"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
)

// SweepContainers removes containers and networks labelled by a harness
// process of this host that no longer runs: what an interrupted run left.
func SweepContainers(ctx context.Context, cli *testcontainers.DockerClient, logf func(string, ...any)) error {
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{
		All: true, Filters: make(client.Filters).Add("label", LabelHarness),
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range list.Items {
		o, ok := parseOwner(c.Labels[LabelOwner])
		if !ok || !o.gone() {
			continue
		}
		if logf != nil {
			logf("pgenv: removing container %.12s left by process %d", c.ID, o.PID)
		}
		_, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		if err != nil && !errdefs.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	nets, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: make(client.Filters).Add("label", LabelHarness)})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, n := range nets.Items {
		o, ok := parseOwner(n.Labels[LabelOwner])
		if !ok || !o.gone() {
			continue
		}
		if _, err := cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil && !errdefs.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
