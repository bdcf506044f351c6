package docker

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// RemoveInstance removes every container carrying the instance label of
// labels (made by Labels): what a start left when it was cut short — by an
// interrupt, say — between asking Docker for the container and hearing its
// id. host is the engine, as in DOCKER_HOST ("" for the default).
//
// The engine may still be creating such a container: it can be listed
// before it can be removed ("no such container"), or appear only after a
// first look. So RemoveInstance looks until it has seen none twice in a row,
// a quarter second apart, for ten seconds at most.
func RemoveInstance(ctx context.Context, host string, labels map[string]string) error {
	instance := labels[LabelInstance]
	if instance == "" {
		return nil
	}
	cli, err := Client(ctx, host)
	if err != nil {
		return err
	}
	defer cli.Close()
	filter := make(client.Filters).Add("label", LabelInstance+"="+instance)
	deadline := time.Now().Add(10 * time.Second)
	for clean := 0; clean < 2; {
		list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter})
		if err != nil {
			return err
		}
		if len(list.Items) == 0 {
			clean++
		} else {
			clean = 0
		}
		for _, c := range list.Items {
			_, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
			if err != nil && !errdefs.IsNotFound(err) && time.Now().After(deadline) {
				return fmt.Errorf("remove container %.12s: %w", c.ID, err)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("containers labelled %s=%s are still there after ten seconds", LabelInstance, instance)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return nil
}
