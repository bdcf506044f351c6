package docker

import (
	"context"
	"errors"

	"github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"github.com/appydex/smoke/harness/owner"
)

// Resource is a container or network the harness labelled.
type Resource struct {
	Kind  string // "container" or "network"
	ID    string
	Owner owner.Owner
}

// Owned lists the containers and networks labelled by harness processes of
// any host, live or dead; a label that does not parse gives a zero Owner.
func Owned(ctx context.Context, cli *testcontainers.DockerClient) ([]Resource, error) {
	filter := make(client.Filters).Add("label", LabelHarness)
	ctrs, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter})
	if err != nil {
		return nil, err
	}
	var out []Resource
	for _, c := range ctrs.Items {
		o, _ := owner.Parse(c.Labels[LabelOwner])
		out = append(out, Resource{Kind: "container", ID: c.ID, Owner: o})
	}
	nets, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: filter})
	if err != nil {
		return nil, err
	}
	for _, n := range nets.Items {
		o, _ := owner.Parse(n.Labels[LabelOwner])
		out = append(out, Resource{Kind: "network", ID: n.ID, Owner: o})
	}
	return out, nil
}

// Sweep removes the containers, then the networks, whose owner was a
// harness process of this host that no longer runs: what an interrupted or
// killed run left. logf, when not nil, hears of each removal.
func Sweep(ctx context.Context, cli *testcontainers.DockerClient, logf func(string, ...any)) error {
	owned, err := Owned(ctx, cli)
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range owned { // containers come first: a network in use cannot go
		if r.Owner.PID == 0 || !r.Owner.Gone() {
			continue
		}
		if logf != nil {
			logf("docker: removing %s %.12s left by process %d", r.Kind, r.ID, r.Owner.PID)
		}
		if r.Kind == "container" {
			_, err = cli.ContainerRemove(ctx, r.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		} else {
			_, err = cli.NetworkRemove(ctx, r.ID, client.NetworkRemoveOptions{})
		}
		if err != nil && !errdefs.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
